/* estimate-text.c - what the dialog says of a run before it starts
 * (estimate-text.h).
 *
 * Copyright (C) 2024 the GIMP Style Transfer authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <libgimp/gimp.h>
#include <libgimp/gimpui.h>

#include <glib/gi18n.h>

#include "estimate-text.h"

/* Under Size: the size the run will really use (estimate, NULL when
 * there is none), and why when it is not the one asked for. */
static gchar *
size_note_text (const StEstimate *estimate, gint asked, gint width, gint height)
{
  gint long_side = MAX (width, height);

  if (!estimate)
    return g_strdup ("");
  if (asked == 0 && MAX (estimate->width, estimate->height) < long_side)
    return g_strdup_printf (_ ("Runs at %d × %d px: the layer's own size "
                               "does not fit the memory budget."),
                            estimate->width, estimate->height);
  if (asked == 0)
    return g_strdup_printf (_ ("Runs at %d × %d px: the layer's own size."),
                            estimate->width, estimate->height);
  if (asked >= long_side)
    return g_strdup_printf (_ ("Runs at %d × %d px: the layer is smaller "
                               "than %d px, so its own size is used."),
                            estimate->width, estimate->height, asked);
  return g_strdup_printf (_ ("Runs at %d × %d px; the result is scaled up "
                             "to the layer's %d × %d."),
                          estimate->width, estimate->height, width, height);
}

/* Beside Quality: size, time and memory; the tooltip: the details. */
static void
estimate_texts (const StEstimate *estimate, gchar **text, gchar **tooltip)
{
  gchar *duration = st_plugin_format_duration (estimate->seconds);
  gchar *memory
      = g_format_size_full (estimate->peak_bytes, G_FORMAT_SIZE_IEC_UNITS);
  gchar *budget
      = g_format_size_full (estimate->budget_bytes, G_FORMAT_SIZE_IEC_UNITS);

  if (!estimate->fits)
    *text = g_strdup_printf (_ ("Too big: needs %s of memory"), memory);
  else
    /* TRANSLATORS: the estimate beside Quality: the size the run
       really uses, its time and memory, e.g. "512 × 384 px, about
       2 min 5 s, 1.2 GiB" */
    *text = g_strdup_printf (_ ("%d × %d px, about %s, %s"), estimate->width,
                             estimate->height, duration, memory);

  *tooltip = g_strdup_printf (
      _ ("Painted at %d × %d px in %d scales, %d iterations in all.  "
         "Estimated time %s and memory %s (the budget is %s).  The largest "
         "size that fits the budget is %d px."),
      estimate->width, estimate->height, estimate->n_scales,
      estimate->total_iterations, duration, memory, budget, estimate->max_size);
  g_free (duration);
  g_free (memory);
  g_free (budget);
}

void
st_estimate_text_update (GtkWidget *estimate_label, GtkWidget *size_note,
                         StContext *engine, const StNetwork *network,
                         const StPluginValues *vals, gint width, gint height)
{
  StParams params;
  StEstimate estimate;
  GError *error = NULL;
  gboolean ok;
  gchar *text;
  gchar *tooltip;

  /* The engine's answer is the run's: the same size (size 0 shrunk to
   * the budget by the engine), memory and time. */
  st_plugin_params_from_values (vals, width, height, &params);
  ok = st_estimate (engine, network, width, height, &params, &estimate, &error)
       == ST_OK;

  if (ok)
    estimate_texts (&estimate, &text, &tooltip);
  else
    {
      text = g_strdup (_ ("No estimate"));
      tooltip = g_strdup (error ? error->message : "");
    }
  g_clear_error (&error);
  gtk_label_set_text (GTK_LABEL (estimate_label), text);
  gimp_help_set_help_data (estimate_label, tooltip, NULL);
  g_free (text);
  g_free (tooltip);

  if (size_note)
    {
      text = size_note_text (ok ? &estimate : NULL, vals->size, width, height);
      gtk_label_set_text (GTK_LABEL (size_note), text);
      g_free (text);
    }
}
