/* render.c - reads the content and the style, runs the engine and adds the
 * result as a new layer.
 *
 * The image is touched only after the engine has returned a result: GIMP
 * 2.10 cancels a plug-in from its progress bar by killing the process
 * (gimp_plug_in_close (plug_in, TRUE) in app/plug-in/gimpplugin-progress.c;
 * libgimp offers no cancel notification to the plug-in that reports
 * progress), so a cancelled or killed run must find nothing to undo.  The
 * result's pixels are even written into the new layer before the layer is
 * inserted, which leaves only the insertion and the mask in the undo
 * group.
 *
 * Copyright (C) 2024 the GIMP Style Transfer authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <string.h>

#include <libgimp/gimp.h>

#include "drawable.h"
#include "plugin.h"
#include "resample.h"
#include "style.h"
#include "style-transfer.h"
#include "values.h"

/* Rows written per GEGL call when the result goes into the layer. */
#define STRIP_ROWS 64

/* Progress reports to GIMP at most this often (microseconds): each one is
 * a round trip through the plug-in pipe. */
#define PROGRESS_INTERVAL 100000

typedef struct
{
  GThread *thread; /* the one that runs run (): libgimp's only thread */
  gint64 last_update;
  gint last_scale;
} ProgressState;

static gboolean
set_error_literal (GError **error, GimpPDBStatusType status,
                   const gchar *message)
{
  g_set_error_literal (error, ST_PLUGIN_ERROR, status, message);
  return FALSE;
}

static gboolean out_of_memory = FALSE;

gboolean
st_plugin_render_out_of_memory (void)
{
  return out_of_memory;
}

/* Engine errors keep their meaning, written as the plug-in's sentences
 * (st_plugin_engine_message); the status says whose fault it was. */
static void
propagate_engine_error (GError **error, GError *engine_error,
                        GimpPDBStatusType status, const gchar *fallback)
{
  gchar *message
      = engine_error ? st_plugin_engine_message (engine_error) : NULL;

  if (engine_error && engine_error->domain == ST_ERROR
      && engine_error->code == ST_ERROR_MEMORY)
    out_of_memory = TRUE;

  set_error_literal (error, status, message ? message : fallback);
  g_free (message);
  g_clear_error (&engine_error);
}

static gchar *
format_bytes (gsize bytes)
{
  return g_format_size_full (bytes, G_FORMAT_SIZE_IEC_UNITS);
}

/* ------------------------------------------------------------ progress */

/* The progress bar's text while the engine paints.  GIMP shows it in the
 * image window's status bar, which cuts what does not fit (about 50
 * characters in a 1024-px wide window): so what the user waits for, the
 * time left, comes first, and the rest is short. */
static gchar *
format_progress (const StProgress *progress)
{
  gchar *duration = st_plugin_format_duration (progress->seconds_left);
  /* TRANSLATORS: the progress bar while the filter paints, e.g. "About
     2 min 5 s left · scale 2/4, step 109/126": the time left, the scale
     and the iteration within it.  GIMP cuts this text after about 50
     characters: keep the time left first and the rest short (%1$s ...
     %5$d may be reordered). */
  gchar *text = g_strdup_printf (_ ("About %s left · scale %d/%d, step %d/%d"),
                                 duration, progress->scale, progress->n_scales,
                                 progress->iteration, progress->n_iterations);

  g_free (duration);
  return text;
}

static gboolean
on_progress (const StProgress *progress, gpointer user_data)
{
  ProgressState *state = user_data;
  gint64 now = g_get_monotonic_time ();

  /* Only the thread that runs run () may use libgimp's pipe; the engine
   * calls back from the thread that called st_transfer (), and this guards
   * that. */
  if (g_thread_self () != state->thread)
    return TRUE;
  /* Iteration 0 comes as each scale starts and while it paints its new
   * octave first (the engine's warm-up, seconds at a large scale): the
   * bar moves on, the text waits for the scale's first step. */
  if (progress->iteration == 0)
    {
      if (now - state->last_update >= PROGRESS_INTERVAL)
        {
          gimp_progress_update (CLAMP (progress->fraction, 0.0, 1.0));
          state->last_update = now;
        }
      return TRUE;
    }

  if (progress->scale != state->last_scale
      || progress->iteration >= progress->n_iterations
      || now - state->last_update >= PROGRESS_INTERVAL)
    {
      gchar *text = format_progress (progress);

      gimp_progress_set_text_printf ("%s", text);
      g_free (text);
      gimp_progress_update (CLAMP (progress->fraction, 0.0, 1.0));
      state->last_update = now;
      state->last_scale = progress->scale;
    }

  /* A cancel in GIMP kills this process; there is nothing to ask here. */
  return TRUE;
}

/* ------------------------------------------------------------- reading */

/* The style, read no larger than the engine will use it: it scales the
 * style to the run's size times style_scale, and more only costs memory.
 * From the style file when there is one, else from the style drawable. */
static StImage *
read_style (const StPluginValues *vals, gint run_side, gsize budget,
            GError **error)
{
  gint wanted = st_style_read_side (vals, run_side);
  gint width, height;

  if (vals->style_file[0])
    return st_style_file_read (vals->style_file, MAX (wanted, 1024), budget,
                               error);

  st_drawable_size_within (vals->style_drawable, MAX (wanted, 1024), &width,
                           &height);

  return st_drawable_read (vals->style_drawable, width, height, NULL, error);
}

/* ----------------------------------------------------------- the plan */

/* The memory a run at long side `size` would take, for a message. */
static gsize
peak_bytes_at (StContext *engine, const StNetwork *network, gint width,
               gint height, const StParams *params, gint size)
{
  StParams at = *params;
  StEstimate estimate;

  at.size = size;
  if (st_estimate (engine, network, width, height, &at, &estimate, NULL)
      != ST_OK)
    return 0;

  return estimate.peak_bytes;
}

/* Fills params from vals and asks the engine what the run will be: the
 * engine alone decides its size (st_estimate: the requested size, or for 0
 * the layer's own shrunk to what the memory budget allows).  When the
 * engine reduced the size, *note receives a sentence for the user.  A requested
 * size over the budget is an error. */
static gboolean
plan_run (StContext *engine, const StNetwork *network,
          const StPluginValues *vals, gint width, gint height, StParams *params,
          StEstimate *estimate, gchar **note, GError **error)
{
  gint long_side = MAX (width, height);
  GError *engine_error = NULL;
  StStatus status;
  gint run_side;

  st_plugin_params_from_values (vals, width, height, params);

  status = st_estimate (engine, network, width, height, params, estimate,
                        &engine_error);
  if (status != ST_OK)
    {
      propagate_engine_error (error, engine_error,
                              status == ST_ERROR_INVALID
                                  ? GIMP_PDB_CALLING_ERROR
                                  : GIMP_PDB_EXECUTION_ERROR,
                              _ ("The transfer cannot run at this size."));
      return FALSE;
    }

  run_side = MAX (estimate->width, estimate->height);
  if (!estimate->fits)
    {
      gchar *need = format_bytes (estimate->peak_bytes);
      gchar *budget = format_bytes (estimate->budget_bytes);

      g_set_error (error, ST_PLUGIN_ERROR, GIMP_PDB_EXECUTION_ERROR,
                   _ ("A transfer at %d px needs about %s of memory, more "
                      "than the budget of %s.  The largest size that fits "
                      "is %d px: choose that or less, or 0 to let the "
                      "filter choose."),
                   run_side, need, budget, estimate->max_size);
      g_free (need);
      g_free (budget);
      return FALSE;
    }

  if (estimate->reduced)
    {
      gchar *need = format_bytes (
          peak_bytes_at (engine, network, width, height, params, long_side));
      gchar *budget = format_bytes (estimate->budget_bytes);

      *note = g_strdup_printf (_ ("The layer's own size (%d px) needs "
                                  "about %s of memory, more than the "
                                  "budget of %s: Style Transfer runs at "
                                  "%d px and scales the result up."),
                               long_side, need, budget, run_side);
      g_free (need);
      g_free (budget);
    }

  return TRUE;
}

/* ------------------------------------------------------------- writing */

/* "Style Transfer — starry_night": named after the style image (the
 * painting's title when it was opened from an installed painting), or
 * after the style layer when the style is part of image_id itself; after
 * the painting's title or the file's name when the style is a file. */
static gchar *
result_layer_name (gint32 image_id, const StPluginValues *vals,
                   const gchar *plugin_dir)
{
  gint32 style_id = vals->style_drawable;
  gchar *style_name;
  gchar *name;

  if (vals->style_file[0])
    style_name = st_style_file_label (vals->style_file, plugin_dir);
  else if (gimp_item_get_image (style_id) == image_id)
    {
      style_name = gimp_item_get_name (style_id);
      if (style_name)
        st_strip_extension (style_name);
    }
  else
    style_name = st_style_image_label (gimp_item_get_image (style_id),
                                       plugin_dir, FALSE);

  name = g_strdup_printf (_ ("Style Transfer — %s"), style_name && style_name[0]
                                                         ? style_name
                                                         : _ ("style"));
  g_free (style_name);

  return name;
}

/* Writes result, enlarged to the content's size, into layer_id, with the
 * content's alpha. */
static gboolean
write_result (gint32 layer_id, gint32 content_id, const StImage *result,
              GError **error)
{
  gint width = gimp_drawable_width (content_id);
  gint height = gimp_drawable_height (content_id);
  const Babl *format = babl_format ("R'G'B'A float");
  gint32 mask_id = st_drawable_applied_mask (content_id);
  StRowResampler *resampler;
  GeglBuffer *content;
  GeglBuffer *target;
  GeglBuffer *mask = NULL;
  gfloat *scratch = NULL;
  gfloat *strip;
  gfloat *row;
  gint y0;

  strip = g_try_new (gfloat, (gsize)width * STRIP_ROWS * 4);
  row = g_try_new (gfloat, (gsize)width * 3);
  resampler
      = (strip && row) ? st_row_resampler_new (result, width, height) : NULL;
  if (!resampler)
    {
      g_free (strip);
      g_free (row);
      return set_error_literal (error, GIMP_PDB_EXECUTION_ERROR,
                                _ ("Not enough memory to write the result."));
    }

  content = gimp_drawable_get_buffer (content_id);
  target = gimp_drawable_get_buffer (layer_id);
  if (mask_id != -1)
    {
      mask = gimp_drawable_get_buffer (mask_id);
      scratch = g_try_new (gfloat, (gsize)width * STRIP_ROWS);
      if (!scratch)
        g_clear_object (&mask); /* the result unmasked, rather than none */
    }

  for (y0 = 0; y0 < height; y0 += STRIP_ROWS)
    {
      gint rows = MIN (STRIP_ROWS, height - y0);
      gint r, x;

      gegl_buffer_get (content, GEGL_RECTANGLE (0, y0, width, rows), 1.0,
                       format, strip, GEGL_AUTO_ROWSTRIDE, GEGL_ABYSS_NONE);
      /* the content's mask hides the result where it hides the content */
      if (mask)
        st_drawable_mask_rows (mask, y0, width, rows, strip, scratch);

      for (r = 0; r < rows; r++)
        {
          gfloat *out = strip + (gsize)r * width * 4;

          st_row_resampler_row (resampler, y0 + r, row);
          for (x = 0; x < width; x++)
            {
              out[x * 4 + 0] = row[x * 3 + 0];
              out[x * 4 + 1] = row[x * 3 + 1];
              out[x * 4 + 2] = row[x * 3 + 2];
              /* out[x * 4 + 3] keeps the content's alpha (times its
                 mask) */
            }
        }

      gegl_buffer_set (target, GEGL_RECTANGLE (0, y0, width, rows), 0, format,
                       strip, GEGL_AUTO_ROWSTRIDE);
      gimp_progress_update ((gdouble)(y0 + rows) / height);
    }

  g_object_unref (target); /* sends the tiles to GIMP */
  g_object_unref (content);
  if (mask)
    g_object_unref (mask);
  g_free (scratch);
  st_row_resampler_free (resampler);
  g_free (row);
  g_free (strip);

  return TRUE;
}

/* Creates the result layer, fills it, and only then inserts it above the
 * content, with a mask from the selection, in one undo group. */
static gint32
add_result_layer (gint32 image_id, gint32 content_id,
                  const StPluginValues *vals, const gchar *plugin_dir,
                  const StImage *result, GError **error)
{
  gboolean gray = gimp_image_base_type (image_id) == GIMP_GRAY;
  /* a content with a mask gets a result that its mask shows through */
  gboolean has_alpha = gimp_drawable_has_alpha (content_id)
                       || st_drawable_applied_mask (content_id) != -1;
  GimpImageType type;
  gchar *name;
  gint32 layer_id;
  gint32 parent_id;
  gint position;
  gint offset_x, offset_y;

  if (gray)
    type = has_alpha ? GIMP_GRAYA_IMAGE : GIMP_GRAY_IMAGE;
  else
    type = has_alpha ? GIMP_RGBA_IMAGE : GIMP_RGB_IMAGE;

  name = result_layer_name (image_id, vals, plugin_dir);
  layer_id = gimp_layer_new (image_id, name, gimp_drawable_width (content_id),
                             gimp_drawable_height (content_id), type, 100.0,
                             gimp_image_get_default_new_layer_mode (image_id));
  g_free (name);
  if (layer_id == -1)
    {
      set_error_literal (error, GIMP_PDB_EXECUTION_ERROR,
                         _ ("GIMP could not create the result layer."));
      return -1;
    }

  gimp_progress_set_text (_ ("Style transfer: writing the result"));
  if (!write_result (layer_id, content_id, result, error))
    {
      gimp_item_delete (layer_id);
      return -1;
    }

  gimp_drawable_offsets (content_id, &offset_x, &offset_y);
  parent_id = gimp_item_get_parent (content_id);
  position = gimp_image_get_item_position (image_id, content_id);

  gimp_image_undo_group_start (image_id);

  gimp_layer_set_offsets (layer_id, offset_x, offset_y);
  gimp_image_insert_layer (image_id, layer_id, parent_id, position);

  if (!gimp_selection_is_empty (image_id))
    {
      gint32 mask_id
          = gimp_layer_create_mask (layer_id, GIMP_ADD_MASK_SELECTION);

      gimp_layer_add_mask (layer_id, mask_id);
    }

  gimp_image_set_active_layer (image_id, layer_id);

  gimp_image_undo_group_end (image_id);

  return layer_id;
}

/* --------------------------------------------------------------- driver */

/* A network given as a path must exist; the engine's own message for a
 * missing file does not say which problem it is. */
static gboolean
network_file_exists (const gchar *network, GError **error)
{
  if (st_network_choice (network) != ST_NETWORK_FILE)
    return TRUE;

  if ((strchr (network, G_DIR_SEPARATOR)
       || g_str_has_suffix (network, ".safetensors"))
      && !g_file_test (network, G_FILE_TEST_EXISTS))
    {
      gchar *display = g_filename_display_name (network);

      g_set_error (error, ST_PLUGIN_ERROR, GIMP_PDB_EXECUTION_ERROR,
                   _ ("The network file \"%s\" does not exist.  Give the path "
                      "of a VGG19 .safetensors file, \"vgg19\" for the "
                      "installed weights, or \"embedded\"."),
                   display);
      g_free (display);
      return FALSE;
    }

  return TRUE;
}

/* The content at the run's size and the style for it (its luminance for
 * a grayscale image); FALSE with error set. */
static gboolean
read_inputs (gint32 image_id, gint32 drawable_id, const StPluginValues *vals,
             const StEstimate *estimate, StImage **content, StImage **style,
             GError **error)
{
  gfloat max_alpha;

  gimp_progress_set_text (_ ("Style transfer: reading the layers"));
  *content = st_drawable_read (drawable_id, estimate->width, estimate->height,
                               &max_alpha, error);
  if (!*content)
    return FALSE;
  if (max_alpha <= 0.0f)
    {
      set_error_literal (error, GIMP_PDB_EXECUTION_ERROR,
                         _ ("The layer is fully transparent: there is nothing "
                            "to repaint."));
      return FALSE;
    }

  *style = read_style (vals, MAX (estimate->width, estimate->height),
                       estimate->budget_bytes, error);
  if (!*style)
    return FALSE;
  st_style_match_image (*style, image_id);
  return TRUE;
}

/* The engine's run of the plan plan_run made, with GIMP's progress bar;
 * NULL with error set (the status GIMP_PDB_CANCEL when the user
 * cancelled). */
static StImage *
paint (StContext *engine, const StNetwork *network, const StImage *content,
       const StImage *style, const StParams *params, const StEstimate *plan,
       GError **error)
{
  ProgressState state = { g_thread_self (), 0, 0 };
  const StImage *styles[1] = { style };
  GError *engine_error = NULL;
  StImage *result = NULL;
  StStatus status;

  status = st_transfer (engine, network, content, styles, 1, params, plan,
                        on_progress, &state, &result, &engine_error);
  if (status == ST_CANCELLED)
    propagate_engine_error (error, engine_error, GIMP_PDB_CANCEL,
                            _ ("Style transfer was cancelled."));
  else if (status != ST_OK)
    propagate_engine_error (error, engine_error,
                            status == ST_ERROR_INVALID
                                ? GIMP_PDB_CALLING_ERROR
                                : GIMP_PDB_EXECUTION_ERROR,
                            _ ("Style transfer failed."));
  if (status != ST_OK)
    {
      st_image_free (result);
      return NULL;
    }
  return result;
}

gint32
st_plugin_render (StContext *engine, gint32 image_id, gint32 drawable_id,
                  const StPluginValues *vals, const gchar *plugin_dir,
                  const StNetwork *given, gboolean interactive, GError **error)
{
  gint width = gimp_drawable_width (drawable_id);
  gint height = gimp_drawable_height (drawable_id);
  StNetwork *opened = NULL;
  const StNetwork *network = given;
  StParams params;
  StEstimate estimate;
  StImage *content = NULL;
  StImage *style = NULL;
  StImage *result = NULL;
  GError *engine_error = NULL;
  gchar *note = NULL;
  gint sel_x, sel_y, sel_width, sel_height;
  gint32 layer_id = -1;

  if (!gimp_selection_is_empty (image_id)
      && !gimp_drawable_mask_intersect (drawable_id, &sel_x, &sel_y, &sel_width,
                                        &sel_height))
    {
      set_error_literal (error, GIMP_PDB_EXECUTION_ERROR,
                         _ ("The selection does not touch the layer: select "
                            "part of the layer, or Select > None."));
      return -1;
    }

  /* the dialog's network when it opened one: VGG19's 80 MB read once */
  if (!given && !network_file_exists (vals->network, error))
    return -1;

  gimp_progress_init (_ ("Style transfer: loading the network"));

  if (!given)
    network = opened
        = st_network_open (vals->network, plugin_dir, &engine_error);
  if (!network)
    {
      gchar *message = st_plugin_network_message (engine_error, vals->network);

      set_error_literal (error, GIMP_PDB_EXECUTION_ERROR, message);
      g_free (message);
      g_clear_error (&engine_error);
      gimp_progress_end ();
      return -1;
    }

  if (plan_run (engine, network, vals, width, height, &params, &estimate, &note,
                error))
    {
      if (note)
        {
          if (interactive)
            gimp_message (note);
          gimp_progress_set_text (note);
        }
      if (read_inputs (image_id, drawable_id, vals, &estimate, &content, &style,
                       error)
          && (result = paint (engine, network, content, style, &params,
                              &estimate, error)))
        layer_id = add_result_layer (image_id, drawable_id, vals, plugin_dir,
                                     result, error);
    }

  gimp_progress_end ();
  st_image_free (result);
  st_image_free (style);
  st_image_free (content);
  st_network_free (opened);
  g_free (note);

  return layer_id;
}
