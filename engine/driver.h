/* driver.h - what the files of the driver share: the plan of a run
 * (estimate.c), the targets of a scale (targets.c), colour handling
 * (colour.c); transfer.c runs the plan. */
#ifndef ST_DRIVER_H
#define ST_DRIVER_H

#include "network.h"

#include <pthread.h>

G_BEGIN_DECLS

/* ---------------------------------------------------------- context */

/* One calibration: (network, pooling, threads) -> seconds per pixel. */
typedef struct
{
  const StNetwork *net;
  StNetworkKind kind; /* a network freed and another made at its address */
  StPooling pooling;
  int threads;
  double seconds_per_pixel;
} StCalibration;

#define ST_CALIBRATIONS_KEPT 8

/* context.c: the engine's state, the front end's (style-transfer.h). */
struct StContext
{
  int threads; /* its runs' count, resolved: 1 .. the cores */
  /* kept calibrations (calibrate.c), with the lock that guards them: a
   * pthread mutex, which ThreadSanitizer sees (GMutex locks inside GLib,
   * where it does not look) */
  pthread_mutex_t lock;
  StCalibration calibrations[ST_CALIBRATIONS_KEPT];
  int n_calibrations;
};

/* The threads of a run with params p: its own (p->threads), else the
 * context's; 1 .. the cores. */
int st_run_threads (const StContext *context, const StParams *p);

#define ST_MAX_SCALES 24

/* The coarse-to-fine schedule: each scale's size and iterations. */
typedef struct
{
  int n;
  int w[ST_MAX_SCALES], h[ST_MAX_SCALES];
  int iterations[ST_MAX_SCALES];   /* at most (L-BFGS may stop sooner) */
  int expected[ST_MAX_SCALES];     /* what a scale usually runs        */
  int warmup[ST_MAX_SCALES];       /* iterations on the new octave first
                                      (transfer.c), before iterations[] */
  double work[ST_MAX_SCALES];      /* expected iterations x pixels, the
                                      warm-up's share included          */
  double warm_work[ST_MAX_SCALES]; /* that share                      */
  double total_work;
} StSchedule;

typedef struct
{
  StEstimate estimate; /* what st_estimate returns */
  StSchedule schedule;
} StPlan;

/* The one planning function: checks the parameters and the content size,
 * chooses the size (the requested one, or for 0 the content's, reduced
 * to the budget), the scales and the estimates.  ST_OK or
 * ST_ERROR_INVALID; a plan that does not fit is ST_OK with fits FALSE. */
StStatus st_plan (StContext *context, const StNetwork *network,
                  int content_width, int content_height, const StParams *params,
                  StPlan *plan, GError **error);
/* The smallest short side of any scale of a run with this network:
 * ST_MIN_SIDE, or more when the network's graph needs it. */
int st_run_min_side (const StNetwork *network);
/* The plan st_estimate returned, as st_transfer runs it on a content of
 * content_width x content_height: its schedule made again from its size
 * (no second plan, no budget read again).  ST_ERROR_INVALID for bad
 * parameters, a content of another shape, or a plan made with other
 * parameters (another schedule). */
StStatus st_plan_expand (const StContext *context, const StNetwork *network,
                         const StEstimate *estimate, int content_width,
                         int content_height, const StParams *params,
                         StPlan *plan, GError **error);
/* The L-BFGS history for n unknowns: the requested one, at most what fits
 * the optimiser's share of memory. */
int st_lbfgs_history (const StParams *params, size_t n);
/* ... and the warm-up's, which holds two vectors more (transfer.c). */
int st_warmup_history (const StParams *params, size_t n);

/* warmup.c: before a later scale's own iterations, L-BFGS on its new
 * octave alone, against the taps that read the image itself. */
typedef struct
{
  const StGraph *graph;     /* the scale's */
  const StTargets *targets; /* its targets (style weight included)      */
  int w, h;
  double tv_weight, range_weight;
  StOptimizerConfig cfg;     /* iterations, history, first step           */
  StIterationFunc iteration; /* after each iteration (NULL: none); FALSE
                                cancels */
  gpointer data;
} StWarmUp;
/* x (3, h, w) <- x + its new octave's marks.  ST_OK (also for a graph
 * with no such taps: x as it was), or what stopped L-BFGS (ST_CANCELLED,
 * ST_ERROR_MEMORY, ST_ERROR_NUMERIC; x as it was). */
StStatus st_warm_up (const StWarmUp *job, float *x);

/* The image calibrate.c times a pass on: small enough to be quick, large
 * enough that every level of the embedded network and VGG19 up to conv5_1
 * runs (estimate.c corrects its per-pixel cost for larger passes). */
#define ST_CALIBRATION_W 192
#define ST_CALIBRATION_H 128

/* calibrate.c: seconds per pixel of one optimiser evaluation (forward,
 * losses, backward) on this machine with `threads` (a run's resolved
 * count) when the machine is quiet, measured once per context at a small
 * size (by CPU time as well as the wall clock, so that other programs'
 * load does not count) and kept in it (a fixed guess when it could not
 * run, or with ST_NO_CALIBRATION set).
 * Safe from several threads at once. */
double st_pass_seconds_per_pixel (StContext *context, const StNetwork *network,
                                  StPooling pooling, int threads);

/* targets.c */
/* The driver's one out-of-memory error: sets it, returns
 * ST_ERROR_MEMORY. */
StStatus st_memory_error (GError **error);
/* The driver's one cancelled error: sets it, returns ST_CANCELLED. */
StStatus st_cancelled_error (GError **error);
/* The graph of one scale of a run (w x h): st_graph_build with the run's
 * pooling, threads and cancel flag.  (Named apart from st_graph_build,
 * which builds a network's graph alone.) */
StStatus st_scale_graph (const StNetwork *network, const StParams *params,
                         int threads, int w, int h, int levels, StGraph *g,
                         GError **error);
/* Frees what the two below filled in t (graph of n_style and n_content
 * taps) and zeroes it. */
void st_targets_clear (StTargets *t, int n_style, int n_content);
/* t's content targets for graph g: content (3, h, w) at g's size. */
StStatus st_content_targets (const StGraph *g, const float *content,
                             StTargets *t, GError **error);
/* t's style targets for graph g of a w x h image: the blend (weights
 * blend, adding up to 1) of the Gram matrices of the n_styles styles
 * (3, sh[j], sw[j]), each resized to params->style_scale times w x h,
 * their passes on g's threads. */
StStatus st_style_targets (const StNetwork *network, const StParams *params,
                           int w, int h, int n_styles, float *const *styles,
                           const int *sw, const int *sh, const double *blend,
                           const StGraph *g, StTargets *t, GError **error);
/* out (3, th, tw) <- the image the style targets take a painting
 * (3, sh, sw) smaller than tw x th from (targets.c): the painting enlarged
 * for its low band, its own brush marks (from half its size) repeated for
 * the high band; FALSE when out of memory. */
gboolean st_painting_exemplar (const float *style, int sw, int sh, float *out,
                               int tw, int th);

/* transfer.c: x (3, h, w) <- the start of a scale from the previous
 * scale's painting prev (3, ph, pw): enlarged, blurred so that no 2-pixel
 * lattice is left, plus the photo's band the enlargement lacks (content,
 * (3, h, w)) when detail is set; FALSE when out of memory. */
gboolean st_enlarge_start (const float *prev, int pw, int ph,
                           const float *content, int w, int h, gboolean detail,
                           float *x);

/* colour.c: on planar (3, n) images in [0, 1] */
/* Recolours style so that its colour mean and covariance are content's. */
void st_match_colours (float *style, size_t style_n, const float *content,
                       size_t content_n);
/* x keeps its luminance and takes the content's colour. */
void st_keep_original_colours (float *x, const float *content, size_t n);

/* deblock.c: the 8 x 8 block grid of JPEG compression taken out of a
 * planar (3, h, w) photo in [0, 1], in place, on each axis where the
 * grid is found; *axes says on how many (0-2). */
StStatus st_deblock (float *chw, int w, int h, int *axes, GError **error);

G_END_DECLS

#endif
