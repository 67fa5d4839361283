/* style-transfer.h - the public interface of the GIMP Style Transfer engine.
 *
 * The engine turns a content image into a painting in the style of one or
 * more style images, as Gatys, Ecker and Bethge showed (arXiv:1508.06576):
 * a convolutional network measures content (feature maps) and style (Gram
 * matrices of feature maps), and an optimizer (L-BFGS by default) changes the
 * pixels of a new image until both match.  It works coarse-to-fine: the first
 * scale runs with the long side near 160 px, each result is upsampled to
 * start the next scale (about sqrt(2) larger) until the requested size.
 *
 * No GIMP, no GTK: plain float buffers in, a float buffer out, errors as
 * GError values (domain ST_ERROR, codes StStatus).  Ten lines to a painting:
 *
 *   StContext *ctx = st_context_new (0); (once per front end: all cores)
 *   StNetwork *net = st_network_open ("embedded", NULL, &error);
 *   StParams params;
 *   st_params_init (&params);
 *   params.size = 512;
 *   const StImage *styles[] = { &style };
 *   StImage *out = NULL;
 *   if (st_transfer (ctx, net, &content, styles, 1, &params, NULL, NULL,
 *                    NULL, &out, &error) == ST_OK)
 *     save (out), st_image_free (out);
 *   st_network_free (net), st_context_free (ctx);
 *
 * A front end that shows the run first (its size, time and memory) asks
 * st_estimate, and passes its answer, the plan, in place of the first
 * NULL: what it showed is what runs.
 *
 * Every public name starts with st_ / St / ST_.
 */
#ifndef STYLE_TRANSFER_H
#define STYLE_TRANSFER_H

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

G_BEGIN_DECLS

/* ---------------------------------------------------------------- status */

typedef enum
{
  ST_OK = 0,
  ST_ERROR_INVALID,   /* a parameter or an image the engine cannot use      */
  ST_ERROR_IO,        /* a file could not be opened, read or mapped         */
  ST_ERROR_FORMAT,    /* a network file is malformed or of the wrong shape  */
  ST_ERROR_MEMORY,    /* the request does not fit the memory budget         */
  ST_ERROR_NUMERIC,   /* the loss became NaN or infinite                    */
  ST_ERROR_NOT_FOUND, /* a named network ("vgg19") is not installed         */
  ST_CANCELLED        /* the progress callback asked to stop                */
} StStatus;

#define ST_ERROR (st_error_quark ())
GQuark st_error_quark (void);

/* --------------------------------------------------------------- context */

/* What the engine keeps between calls, made once by each front end and
 * passed to every call that runs the network (as ggml_init's context):
 * the thread count of its runs and the time estimate's calibration (one
 * timed pass per network, pooling and thread count, kept for the next
 * estimates).  The engine has no other state: several contexts never
 * meet, and one context may serve several threads at once (the dialog's
 * estimates beside its preview).  threads: 0 = all cores (or the count
 * given in OPENBLAS_NUM_THREADS, GOTO_NUM_THREADS or OMP_NUM_THREADS),
 * else at most the cores.  NULL when out of memory. */
typedef struct StContext StContext;
StContext *st_context_new (int threads);
void st_context_free (StContext *context); /* after its last call ended */

/* ----------------------------------------------------------------- image */

/* An RGB image: pixels (height, width, 3), row-major, interleaved,
 * non-linear sRGB values in [0, 1] (GEGL's "R'G'B' float"). */
typedef struct
{
  int width;
  int height;
  float *pixels; /* (height, width, 3) */
} StImage;

StImage *st_image_new (int width, int height); /* zeroed; NULL if too big */
StImage *st_image_copy (const StImage *image);
void st_image_free (StImage *image);
/* The size with long side `long_side` and the aspect ratio of w x h: the
 * one rounding rule of every front end and of the engine. */
void st_fit_long_side (int w, int h, int long_side, int *out_w, int *out_h);
/* The engine's resampling kernel (Catmull-Rom, Keys a = -0.5), for front
 * ends that resample in strips of their own. */
double st_cubic_weight (double x);

/* --------------------------------------------------------------- network */

typedef struct StNetwork StNetwork;

/* Opens a network by name:
 *   "embedded"      the weight-free network built into the engine;
 *   "vgg19"         the installed VGG19 weights (see st_network_find_vgg19);
 *   "" or NULL      VGG19 when installed, else the embedded network;
 *   anything else   a path to a .safetensors file with VGG19 weights.
 * extra_dir is searched for VGG19 weights before the data folders (the
 * plug-in passes its own folder); it may be NULL. */
StNetwork *st_network_open (const char *name, const char *extra_dir,
                            GError **error);
StNetwork *st_network_new_embedded (void); /* NULL when out of memory */
StNetwork *st_network_load_vgg19 (const char *path, GError **error);
void st_network_free (StNetwork *network);
/* What a network name given by a user means (the rule of st_network_open). */
typedef enum
{
  ST_NETWORK_BEST,     /* "" or NULL: VGG19 when installed, else embedded */
  ST_NETWORK_EMBEDDED, /* "embedded"                                       */
  ST_NETWORK_VGG19,    /* "vgg19"                                          */
  ST_NETWORK_FILE      /* anything else: a path                            */
} StNetworkChoice;
StNetworkChoice st_network_choice (const char *name);
/* The kinds of network. */
typedef enum
{
  ST_NETWORK_KIND_EMBEDDED, /* built into the engine, no file */
  ST_NETWORK_KIND_VGG19     /* VGG19 weights from a file      */
} StNetworkKind;
StNetworkKind st_network_kind (const StNetwork *network);
/* A kind's name, as st_network_open takes it: "embedded", "vgg19". */
const char *st_network_kind_name (StNetworkKind kind);
/* The iterations at the first scale a run with a network of this kind
 * takes when params.iterations is 0 (automatic). */
int st_network_kind_iterations (StNetworkKind kind);
/* A sentence for users: which network, and which file it came from. */
const char *st_network_describe (const StNetwork *network);

/* The one lookup rule for installed VGG19 weights, for every front end:
 *   1. $ST_VGG19_WEIGHTS (a file),
 *   2. extra_dir/vgg19.safetensors (the plug-in's own folder),
 *   3. $XDG_DATA_HOME/gimp-style-transfer/vgg19.safetensors,
 *   4. each of $XDG_DATA_DIRS/gimp-style-transfer/vgg19.safetensors.
 * Returns a newly allocated path, or NULL when none exists. */
char *st_network_find_vgg19 (const char *extra_dir);
/* The command a user runs to install the weights (for messages). */
const char *st_network_install_hint (void);

/* ------------------------------------------------------------ parameters */

/* The total-variation weight both networks use by default (tv_weight < 0);
 * front ends express their "smoothness" as multiples of it.  2, not 5
 * (issue 18): with 5 the finest strokes of smooth paintings were toned
 * down, The Scream's high-frequency energy 0.82 of the VGG19 reference's;
 * with 2 it is 0.89, Starry Night's 1.08, the Shipwreck's 1.07, and at
 * 200 % no pixel noise appears (Nyquist checker energy 0.0039 against
 * 0.0035 on the Scream, 0.0170 against 0.0172 on Starry Night). */
#define ST_DEFAULT_TV_WEIGHT 2.0

typedef enum
{
  ST_INIT_CONTENT,
  ST_INIT_NOISE
} StInit;
typedef enum
{
  ST_OPTIMIZER_LBFGS,
  ST_OPTIMIZER_ADAM
} StOptimizer;
typedef enum
{
  ST_POOLING_AVERAGE,
  ST_POOLING_MAX
} StPooling;

typedef struct
{
  double strength;          /* 0..100: style against content; 50 = default */
  double style_weight;      /* < 0: from strength and network (default)  */
  double content_weight;    /* < 0: network default (1)                  */
  double tv_weight;         /* < 0: network default; smoothness          */
  int iterations;           /* at the first scale; 0 = automatic         */
  int size;                 /* long side of the result; 0 = content's,
                               reduced to what fits the memory budget */
  int start_size;           /* long side of the first scale; 0 = auto    */
  int scales;               /* number of scales; 0 = auto (sqrt 2 steps) */
  double style_scale;       /* style features' size; 1 = as painted      */
  StInit init;              /* start from the content or from noise      */
  guint32 seed;             /* noise and embedded filters' jitter        */
  gboolean preserve_colors; /* keep the content's colours (luminance only) */
  gboolean match_colors;    /* recolour the style to the content first   */
  StPooling pooling;        /* VGG19 pooling; average is smoother        */
  StOptimizer optimizer;
  int history;               /* L-BFGS history; 0 = default (50)          */
  double learning_rate;      /* Adam step in [0,1] pixel units; 0 = auto  */
  int threads;               /* 0 = the context's count; else this run's
                                own (the dialog's preview leaves a core to
                                GIMP)                                    */
  const double *style_blend; /* n_styles blend weights; NULL = equal      */
  size_t memory_budget;      /* bytes; 0 = $ST_MEMORY_BUDGET (MiB) when set,
                                else half of the available memory, read
                                at each plan (st_transfer given a plan
                                reads it no more)                       */
  gboolean want_preview;     /* pass the current image to the callback    */
  const gint *cancel;        /* when not NULL: the run stops within a
                                fraction of a second, inside a network
                                pass, once *cancel (read atomically) is
                                not 0, with ST_CANCELLED; for a signal
                                handler or another thread                */
} StParams;

/* The ranges st_params_validate accepts: the one table front ends build
 * their controls from. */
#define ST_STRENGTH_MIN 0.0
#define ST_STRENGTH_MAX 100.0
#define ST_WEIGHT_MAX 1e9 /* style, content and TV weights */
#define ST_ITERATIONS_MAX 100000
#define ST_SIZE_MAX 30000 /* size and start_size, in px */
#define ST_SCALES_MAX 20
#define ST_STYLE_SCALE_MIN 0.05
#define ST_STYLE_SCALE_MAX 10.0
#define ST_HISTORY_MAX 1000
#define ST_THREADS_MAX 1024
/* The one smallest side (in px): the short side of each style image, of
 * the content (unless params.size asks for a size) and of every scale of
 * a run is at least this; a network may need more (st_transfer says
 * so). */
#define ST_MIN_SIDE 16

void st_params_init (StParams *params);
/* Checks ranges (NaN, negative, absurd values); FALSE with a message. */
gboolean st_params_validate (const StParams *params, GError **error);

/* -------------------------------------------------------------- progress */

typedef struct
{
  double fraction; /* 0..1 of the whole run (by work)     */
  int scale;       /* 1-based                             */
  int n_scales;
  int iteration;     /* 1-based, within the scale; 0 once as
                        each scale starts (loss then NaN)    */
  int n_iterations;  /* planned at this scale               */
  int width, height; /* of the current scale                */
  double loss;       /* total                               */
  double style_loss; /* weighted parts of the total         */
  double content_loss;
  double tv_loss;
  double elapsed;       /* seconds since the run started       */
  double seconds_left;  /* estimated: the plan's calibrated time,
                           then more and more the pace so far    */
  const StImage *image; /* current image when want_preview, else NULL;
                           valid only during the call           */
} StProgress;

/* Return FALSE to cancel the run. */
typedef gboolean (*StProgressFunc) (const StProgress *progress,
                                    gpointer user_data);

/* ------------------------------------------------------------- estimates */

/* The engine's one answer to "what size, how much memory, how long",
 * and the plan of the run: st_transfer given it runs exactly this plan,
 * so a front end shows the user these numbers and decides nothing of its
 * own. */
typedef struct
{
  int content_width, content_height; /* what the plan was made for     */
  int requested_size; /* long side asked for: params->size, or for 0 the
                         content's own long side                       */
  int width, height;  /* of the result st_transfer would paint         */
  gboolean reduced;   /* size 0 only: the content's long side did not
                         fit the budget; width x height is max_size    */
  gboolean fits;      /* within the budget; else st_transfer refuses
                         with ST_ERROR_MEMORY                          */
  int n_scales;
  int total_iterations;
  size_t peak_bytes;   /* estimated peak memory of the run              */
  double seconds;      /* rough time on this machine                    */
  int max_size;        /* largest long side within the budget; 0 none   */
  size_t budget_bytes; /* the budget used                               */
} StEstimate;

/* The long side the paintings are resampled to for a w x h scale or
 * result: the style scale times its long side, at most ST_SIZE_MAX.  Front ends
 * that read a painting at the size the run will use it ask this, not a rule of
 * their own. */
int st_style_side (const StParams *params, int width, int height);

/* The memory budget a plan with these parameters works within, in bytes
 * (params->memory_budget, else half of the available memory, within what
 * the address-space limit leaves), without planning anything; 0 with an
 * ST_ERROR_MEMORY error when the limit does not even leave the numeric
 * library what it reserves. */
size_t st_memory_budget (StContext *context, const StParams *params,
                         GError **error);

/* The plan of a run on a content of content_width x content_height:
 * ST_ERROR_INVALID for bad parameters or an empty content, else ST_OK,
 * also when the run does not fit (see fits). */
StStatus st_estimate (StContext *context, const StNetwork *network,
                      int content_width, int content_height,
                      const StParams *params, StEstimate *estimate,
                      GError **error);

/* ----------------------------------------------------------- surroundings */

/* The engine's environment variables whose values it cannot use and so
 * ignores (ST_BLAS naming no loadable CBLAS library, ST_CPU, ST_MEMORY_BUDGET
 * that is not a number of MiB, ST_VGG19_WEIGHTS naming no file,
 * ST_NO_CALIBRATION set to a value that reads as "no"): one sentence
 * each, for a front end to print once as a warning.  NULL when all are
 * good; else free with g_strfreev. */
char **st_environment_problems (void);

/* --------------------------------------------------------------- driver */

/* Runs a transfer.  plan: what st_estimate returned for this network,
 * parameters and the content (which may come at any size of its shape:
 * the plan's width x height, say), run as is, without planning again;
 * NULL plans now.  A plan made with other parameters is ST_ERROR_INVALID.
 * On ST_OK *result is a new image (st_image_free); on any other status
 * *result is NULL, error holds a message for a person, and nothing the
 * caller passed in was changed. */
StStatus st_transfer (StContext *context, const StNetwork *network,
                      const StImage *content, const StImage *const *styles,
                      int n_styles, const StParams *params,
                      const StEstimate *plan, StProgressFunc progress,
                      gpointer user_data, StImage **result, GError **error);

G_END_DECLS

#endif
