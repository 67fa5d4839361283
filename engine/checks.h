/* checks.h - what the engine checks about its surroundings and about
 * requests it cannot measure (issue 13).  Engine-internal. */
#ifndef ST_CHECKS_H
#define ST_CHECKS_H

#include "style-transfer.h"

G_BEGIN_DECLS

/* ------------------------------------------------------------ memory */

/* The most the run may use under this process's limits: the address
 * space left by ulimit -v and -d (less what OpenBLAS reserves for its
 * threads' buffers) and what a cgroup's memory.max leaves.  G_MAXSIZE when
 * nothing limits it.  threads: the run's count (st_run_threads). */
size_t st_memory_cap (int threads);

/* FALSE, with an "out of memory" message, when the limits leave less
 * than OpenBLAS needs for its buffers.  OpenBLAS retries a failed buffer
 * allocation forever, so this must be known before the first BLAS call. */
gboolean st_memory_precheck (int threads, GError **error);

/* st_memory_cap, or 0 with an "out of memory" message when the limits
 * leave nothing beside OpenBLAS's buffers.  The precheck can pass and
 * this still find nothing (under a 600 MB ulimit, 4 runs of 5 came out
 * with a budget of 0 and no message; most likely OpenBLAS's threads had
 * not yet taken their space when the precheck looked). */
size_t st_memory_room (int threads, GError **error);

/* ------------------------------------------------- what can be measured */

/* Refuses weights that make the style term vanish (0, 1e-40): the run
 * would "succeed" with the photo, a little smoothed. */
gboolean st_check_weights (const StParams *params, GError **error);

/* The blend weights divided by their sum, computed without overflow
 * (1e308 + 1e308 is infinite; each is divided by the largest first).
 * NULL weights mean equal ones.  FALSE when they are not finite and
 * non-negative, or all zero. */
gboolean st_blend_normalize (const double *weights, int n, double *out,
                             GError **error);

/* Refuses a style image of one flat colour: no texture to measure (its
 * Gram matrices are zero or constant, the normalised loss is 1e28). */
gboolean st_check_style_image (const StImage *style, int index, int n_styles,
                               GError **error);

/* After the style targets of a scale are built: refuses targets whose
 * norm is too small to normalise the loss by (a style the network sees
 * as empty). */
gboolean st_check_style_targets (const double *gram_norm, int n, int width,
                                 int height, GError **error);

G_END_DECLS

#endif
