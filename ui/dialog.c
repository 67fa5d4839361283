/* dialog.c - the Style Transfer dialog: style chooser, strength, quality
 * with an estimate, advanced settings and a live preview.
 *
 * It edits the plug-in's StPluginValues (plugin/values.h) and nothing
 * else; the plug-in saves them as the last values after a run.  Pixels
 * are read with the plug-in's reader (plugin/drawable.h), the run's size
 * and cost come from the engine's st_estimate ().  The
 * preview is a pane of its own (preview-pane.c); every libgimp and GTK
 * call stays in this, the main, thread.
 *
 * Copyright (C) 2024 the GIMP Style Transfer authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <string.h>

#include <libgimp/gimp.h>
#include <libgimp/gimpui.h>

#include <glib/gi18n.h>

#include "chooser.h"
#include "dialog.h"
#include "plugin/drawable.h"
#include "plugin/style.h"
#include "plugin/values.h"
#include "preview-pane.h"
#include "quality.h"
#include "theme.h"
#include "style-transfer.h"

#define RESPONSE_RESET 1

#define SCALE_WIDTH 180
#define SPIN_WIDTH 6

/* What the dialog itself remembers between runs (gimp_set_data), beside
 * the settings' last values: whether the preview is on. */
#define DIALOG_DATA PLUG_IN_PROC "-dialog"
typedef struct
{
  gint32 preview; /* the Preview check box */
} DialogMemory;

typedef struct
{
  StPluginValues *vals;
  gint32 image_id;
  gint32 drawable_id;
  const gchar *plugin_dir; /* where VGG19 may be installed  */
  gint width, height;      /* of the content layer          */

  GtkWidget *window;
  GtkWidget *style_combo;
  GtkWidget *style_missing;
  GtkObject *strength;
  GtkWidget *quality_combo;
  GtkWidget *estimate;
  GtkWidget *size_note; /* the size the run will really use */
  GtkWidget *preserve;
  GtkObject *size;
  GtkObject *iterations;
  GtkObject *style_scale;
  GtkObject *smoothness;
  GtkAdjustment *seed;
  GtkWidget *network_combo;
  GtkWidget *network_file;
  GtkWidget *network_status;

  StPreviewPane *preview;

  StNetwork *network; /* for estimates and the preview */
  gboolean updating;    /* widgets set from vals         */
  GtkSizeGroup *labels; /* one label column for all rows */
} Dialog;

/* Settings changed: the preview restarts (not while widgets are being
 * set from vals). */
static void
schedule_preview (Dialog *dialog)
{
  if (!dialog->updating && dialog->preview)
    st_preview_pane_schedule (dialog->preview);
}

static void update_estimate (Dialog *dialog);

/* ----------------------------------------------------------- network */

/* Opens the network of vals for the estimate and the preview, and says
 * in one line which one it is and how to install VGG19 if missing. */
static void
open_network (Dialog *dialog)
{
  const gchar *name = dialog->vals->network;
  gchar *vgg19 = st_network_find_vgg19 (dialog->plugin_dir);
  GError *error = NULL;
  GString *text = g_string_new (NULL);
  gboolean hint_given = FALSE;

  if (dialog->preview)
    st_preview_pane_set_network (dialog->preview, NULL);
  st_network_free (dialog->network);

  dialog->network = st_network_open (name, dialog->plugin_dir, &error);
  if (dialog->network)
    {
      if (strcmp (st_network_kind (dialog->network), "vgg19") == 0)
        g_string_append (text, _ ("Paints with the VGG19 network."));
      else
        g_string_append (text, _ ("Paints with the built-in network."));
    }
  else
    {
      gchar *message = st_plugin_network_message (error, name);

      /* That message already says how to install VGG19. */
      hint_given = error && error->domain == ST_ERROR
                   && error->code == ST_ERROR_NOT_FOUND
                   && st_network_choice (name) == ST_NETWORK_VGG19;
      g_string_append_printf (text, _ ("This network cannot be used: %s"),
                              message);
      g_free (message);
      g_clear_error (&error);
      /* The preview and the estimate still need a network. */
      dialog->network = st_network_new_embedded ();
    }
  if (dialog->preview)
    st_preview_pane_set_network (dialog->preview, dialog->network);

  if (vgg19)
    {
      gchar *display = g_filename_display_name (vgg19);

      g_string_append_c (text, ' ');
      g_string_append_printf (text, _ ("VGG19 weights are installed in %s."),
                              display);
      g_free (display);
    }
  else if (!hint_given)
    {
      gchar *hint = st_plugin_install_hint ();

      g_string_append_c (text, ' ');
      g_string_append_printf (
          text,
          _ ("VGG19 weights, which paint more convincingly, "
             "are not installed.  To install them, run:\n"
             "%s"),
          hint);
      g_free (hint);
    }

  gtk_label_set_text (GTK_LABEL (dialog->network_status), text->str);
  g_string_free (text, TRUE);
  g_free (vgg19);
}

static void
network_changed (GtkWidget *combo, Dialog *dialog)
{
  StPluginValues *vals = dialog->vals;
  gint choice = ST_NETWORK_BEST;
  gchar *path = NULL;

  gimp_int_combo_box_get_active (GIMP_INT_COMBO_BOX (combo), &choice);
  gtk_widget_set_sensitive (dialog->network_file, choice == ST_NETWORK_FILE);

  if (dialog->updating)
    return;

  switch (choice)
    {
    case ST_NETWORK_EMBEDDED:
      g_strlcpy (vals->network, "embedded", sizeof vals->network);
      break;

    case ST_NETWORK_VGG19:
      g_strlcpy (vals->network, "vgg19", sizeof vals->network);
      break;

    case ST_NETWORK_FILE:
      path = gtk_file_chooser_get_filename (
          GTK_FILE_CHOOSER (dialog->network_file));
      if (path && strlen (path) < sizeof vals->network)
        g_strlcpy (vals->network, path, sizeof vals->network);
      else
        vals->network[0] = '\0';
      g_free (path);
      break;

    default:
      vals->network[0] = '\0';
      break;
    }

  open_network (dialog);
  update_estimate (dialog);
  schedule_preview (dialog);
}

static void
network_file_set (GtkFileChooserButton *button, Dialog *dialog)
{
  (void)button;
  network_changed (dialog->network_combo, dialog);
}

/* ---------------------------------------------------------- estimate */

/* Under Size: the size the run will really use, and why when it is not
 * the one asked for. */
static void
update_size_note (Dialog *dialog, const StEstimate *estimate)
{
  gint asked = dialog->vals->size;
  gint long_side = MAX (dialog->width, dialog->height);
  gchar *text;

  if (!dialog->size_note)
    return;

  if (!estimate)
    text = g_strdup ("");
  else if (asked == 0 && MAX (estimate->width, estimate->height) < long_side)
    text = g_strdup_printf (_ ("Runs at %d × %d px: the layer's own size "
                               "does not fit the memory budget."),
                            estimate->width, estimate->height);
  else if (asked == 0)
    text = g_strdup_printf (_ ("Runs at %d × %d px: the layer's own size."),
                            estimate->width, estimate->height);
  else if (asked >= long_side)
    text = g_strdup_printf (_ ("Runs at %d × %d px: the layer is smaller "
                               "than %d px, so its own size is used."),
                            estimate->width, estimate->height, asked);
  else
    text = g_strdup_printf (_ ("Runs at %d × %d px; the result is scaled up "
                               "to the layer's %d × %d."),
                            estimate->width, estimate->height, dialog->width,
                            dialog->height);

  gtk_label_set_text (GTK_LABEL (dialog->size_note), text);
  g_free (text);
}

static void
update_estimate (Dialog *dialog)
{
  StParams params;
  StEstimate estimate;
  GError *error = NULL;
  gchar *text;
  gchar *tooltip;

  /* The engine's answer is the run's: the same size (size 0 shrunk to
   * the budget by the engine), memory and time. */
  st_plugin_params_from_values (dialog->vals, dialog->width, dialog->height,
                                &params);
  st_estimate (dialog->network, dialog->width, dialog->height, &params,
               &estimate, &error);

  if (error)
    {
      text = g_strdup (_ ("No estimate"));
      tooltip = g_strdup (error->message);
      g_clear_error (&error);
    }
  else
    {
      gchar *duration = st_plugin_format_duration (estimate.seconds);
      gchar *memory
          = g_format_size_full (estimate.peak_bytes, G_FORMAT_SIZE_IEC_UNITS);
      gchar *budget
          = g_format_size_full (estimate.budget_bytes, G_FORMAT_SIZE_IEC_UNITS);

      if (!estimate.fits)
        text = g_strdup_printf (_ ("Too big: needs %s of memory"), memory);
      else
        /* TRANSLATORS: the estimate beside Quality: the size the run
           really uses, its time and memory, e.g. "512 × 384 px, about
           2 min 5 s, 1.2 GiB" */
        text = g_strdup_printf (_ ("%d × %d px, about %s, %s"), estimate.width,
                                estimate.height, duration, memory);

      tooltip = g_strdup_printf (
          _ ("Painted at %d × %d px in %d scales, %d iterations in all.  "
             "Estimated time %s and memory %s (the budget is %s).  The largest "
             "size that fits the budget is %d px."),
          estimate.width, estimate.height, estimate.n_scales,
          estimate.total_iterations, duration, memory, budget,
          estimate.max_size);
      g_free (duration);
      g_free (memory);
      g_free (budget);
    }

  gtk_label_set_text (GTK_LABEL (dialog->estimate), text);
  gimp_help_set_help_data (dialog->estimate, tooltip, NULL);
  g_free (text);
  g_free (tooltip);

  update_size_note (dialog, error ? NULL : &estimate);
}

/* ------------------------------------------------------------- style */

/* OK runs only with a style; without one it is neither sensitive nor
 * the default button, and looks it. */
static void
set_ok_sensitive (Dialog *dialog, gboolean sensitive)
{
  GtkWidget *ok = gtk_dialog_get_widget_for_response (
      GTK_DIALOG (dialog->window), GTK_RESPONSE_OK);

  gtk_dialog_set_response_sensitive (GTK_DIALOG (dialog->window),
                                     GTK_RESPONSE_OK, sensitive);
  if (!ok)
    return;
  st_theme_dim_insensitive (ok);
  gtk_widget_set_can_default (ok, sensitive);
  if (sensitive)
    gtk_widget_grab_default (ok);
  else
    gtk_window_set_default (GTK_WINDOW (dialog->window), NULL);
}

static void
style_changed (GtkWidget *chooser, Dialog *dialog)
{
  gboolean has_style = st_style_chooser_has_style (chooser);

  set_ok_sensitive (dialog, has_style);
  if (dialog->style_missing)
    gtk_widget_set_visible (dialog->style_missing, !has_style);
  schedule_preview (dialog);
}

/* ---------------------------------------------------------- settings */

/* A labelled row whose label lines up with every other row's. */
static void
attach_row (Dialog *dialog, GtkWidget *table, gint row, const gchar *label,
            GtkWidget *widget)
{
  gtk_size_group_add_widget (dialog->labels,
                             gimp_table_attach_aligned (GTK_TABLE (table), 0,
                                                        row, label, 0.0, 0.5,
                                                        widget, 2, FALSE));
}

static void
quality_changed (GtkWidget *combo, Dialog *dialog)
{
  gint quality = ST_QUALITY_BALANCED;

  if (dialog->updating
      || !gimp_int_combo_box_get_active (GIMP_INT_COMBO_BOX (combo), &quality)
      || quality == ST_QUALITY_CUSTOM)
    return;

  st_quality_apply ((StQuality)quality, dialog->vals);

  /* The advanced fields follow; their handlers must not switch the
   * combo back. */
  dialog->updating = TRUE;
  gtk_adjustment_set_value (GTK_ADJUSTMENT (dialog->size), dialog->vals->size);
  gtk_adjustment_set_value (GTK_ADJUSTMENT (dialog->iterations),
                            dialog->vals->iterations);
  dialog->updating = FALSE;

  update_estimate (dialog);
}

/* Size and iterations: the quality shows the preset they match. */
static void
run_size_changed (GtkAdjustment *adjustment, gint *value)
{
  Dialog *dialog = g_object_get_data (G_OBJECT (adjustment), "st-dialog");

  *value = RINT (gtk_adjustment_get_value (adjustment));
  if (dialog->updating)
    return;

  dialog->updating = TRUE;
  gimp_int_combo_box_set_active (GIMP_INT_COMBO_BOX (dialog->quality_combo),
                                 st_quality_from_values (dialog->vals));
  dialog->updating = FALSE;
  update_estimate (dialog);
}

/* Settings that change the painting: the preview restarts. */
static void
double_changed (GtkAdjustment *adjustment, gdouble *value)
{
  Dialog *dialog = g_object_get_data (G_OBJECT (adjustment), "st-dialog");

  *value = gtk_adjustment_get_value (adjustment);
  schedule_preview (dialog);
}

static void
seed_changed (GtkAdjustment *adjustment, Dialog *dialog)
{
  dialog->vals->seed = (gint32)RINT (gtk_adjustment_get_value (adjustment));
  schedule_preview (dialog);
}

static void
new_seed_clicked (GtkButton *button, Dialog *dialog)
{
  (void)button;
  gtk_adjustment_set_value (dialog->seed, g_random_int_range (0, G_MAXINT32));
}

static void
preserve_toggled (GtkToggleButton *toggle, Dialog *dialog)
{
  dialog->vals->preserve_colors = gtk_toggle_button_get_active (toggle);
  schedule_preview (dialog);
}

static GtkObject *
add_scale (Dialog *dialog, GtkWidget *table, gint row, const gchar *label,
           gdouble value, gdouble lower, gdouble upper, gdouble hard_upper,
           gdouble step, guint digits, const gchar *tooltip, const gchar *name,
           GCallback callback, gpointer data)
{
  GtkObject *adjustment;

  adjustment = gimp_scale_entry_new (GTK_TABLE (table), 0, row, label,
                                     SCALE_WIDTH, SPIN_WIDTH, value, lower,
                                     upper, step, step * 10.0, digits, FALSE,
                                     lower, hard_upper, tooltip, NULL);
  gtk_widget_set_name (GIMP_SCALE_ENTRY_SCALE (adjustment), name);
  gtk_size_group_add_widget (dialog->labels,
                             GIMP_SCALE_ENTRY_LABEL (adjustment));
  g_object_set_data (G_OBJECT (adjustment), "st-dialog", dialog);
  g_signal_connect (adjustment, "value-changed", callback, data);

  return adjustment;
}

/* The iterations' field says "Automatic" for 0, and reads it back. */
static gboolean
iterations_output (GtkSpinButton *spin, gpointer data)
{
  (void)data;
  if (RINT (gtk_adjustment_get_value (gtk_spin_button_get_adjustment (spin)))
      != 0)
    return FALSE;

  if (strcmp (gtk_entry_get_text (GTK_ENTRY (spin)), _ ("Automatic")) != 0)
    gtk_entry_set_text (GTK_ENTRY (spin), _ ("Automatic"));
  return TRUE;
}

static gint
iterations_input (GtkSpinButton *spin, gdouble *value, gpointer data)
{
  const gchar *text = gtk_entry_get_text (GTK_ENTRY (spin));
  gchar *end = NULL;
  gdouble number;

  (void)data;
  if (g_ascii_strcasecmp (text, _ ("Automatic")) == 0)
    {
      *value = 0.0;
      return TRUE;
    }
  number = g_strtod (text, &end);
  if (end == text)
    return GTK_INPUT_ERROR;
  *value = number;
  return TRUE;
}

static GtkWidget *
advanced_settings (Dialog *dialog)
{
  StPluginValues *vals = dialog->vals;
  GtkWidget *expander;
  GtkWidget *align;
  GtkWidget *table;
  GtkWidget *hbox;
  GtkWidget *spin;
  GtkWidget *button;
  GtkFileFilter *filter;

  expander = gtk_expander_new_with_mnemonic (_ ("_Advanced"));
  gtk_widget_set_name (expander, "st-advanced");

  table = gtk_table_new (8, 3, FALSE);
  gtk_table_set_col_spacings (GTK_TABLE (table), 6);
  gtk_table_set_row_spacings (GTK_TABLE (table), 6);
  align = gtk_alignment_new (0.0, 0.0, 1.0, 1.0);
  gtk_alignment_set_padding (GTK_ALIGNMENT (align), 6, 0, 0, 0);
  gtk_container_add (GTK_CONTAINER (align), table);
  gtk_container_add (GTK_CONTAINER (expander), align);

  dialog->size
      = add_scale (dialog, table, 0, _ ("Si_ze:"), vals->size, 0, 2048,
                   GIMP_MAX_IMAGE_SIZE, 16, 0,
                   _ ("Long side in pixels at which the painting is made; the "
                      "result is scaled to the layer.  0 uses the layer's own "
                      "size as far as memory allows.  Larger is slower."),
                   "st-size", G_CALLBACK (run_size_changed), &vals->size);
  dialog->iterations = add_scale (
      dialog, table, 2, _ ("_Iterations:"), vals->iterations, 0, 1000,
      ST_PLUGIN_ITERATIONS_MAX, 10, 0,
      _ ("Optimizer steps at the first scale (later scales take "
         "fewer); 0 chooses automatically."),
      "st-iterations", G_CALLBACK (run_size_changed), &vals->iterations);
  spin = GIMP_SCALE_ENTRY_SPINBUTTON (dialog->iterations);
  gtk_widget_set_name (spin, "st-iterations-entry");
  gtk_entry_set_width_chars (GTK_ENTRY (spin), 10);
  /* A numeric spin button refuses letters, "Automatic" included. */
  gtk_spin_button_set_numeric (GTK_SPIN_BUTTON (spin), FALSE);
  g_signal_connect (spin, "output", G_CALLBACK (iterations_output), NULL);
  g_signal_connect (spin, "input", G_CALLBACK (iterations_input), NULL);
  gtk_spin_button_update (GTK_SPIN_BUTTON (spin));

  dialog->size_note = gtk_label_new (NULL);
  gtk_widget_set_name (dialog->size_note, "st-size-note");
  gtk_label_set_line_wrap (GTK_LABEL (dialog->size_note), TRUE);
  gtk_misc_set_alignment (GTK_MISC (dialog->size_note), 0.0, 0.5);
  gimp_label_set_attributes (GTK_LABEL (dialog->size_note), PANGO_ATTR_SCALE,
                             PANGO_SCALE_SMALL, -1);
  gtk_table_attach (GTK_TABLE (table), dialog->size_note, 1, 3, 1, 2, GTK_FILL,
                    GTK_FILL, 0, 0);
  dialog->style_scale = add_scale (
      dialog, table, 3, _ ("Style s_cale:"), vals->style_scale,
      ST_PLUGIN_STYLE_SCALE_MIN, 4.0, ST_PLUGIN_STYLE_SCALE_MAX, 0.05, 2,
      _ ("Size of the brush strokes: 1 keeps them as large as in the "
         "style picture, 2 doubles them."),
      "st-style-scale", G_CALLBACK (double_changed), &vals->style_scale);
  dialog->smoothness = add_scale (
      dialog, table, 4, _ ("S_moothness:"), vals->smoothness, 0.0, 10.0,
      ST_PLUGIN_SMOOTHNESS_MAX, 0.1, 2,
      _ ("Smooths out noise: 1 is the network's default, 0 turns it "
         "off, 2 doubles it."),
      "st-smoothness", G_CALLBACK (double_changed), &vals->smoothness);

  hbox = gtk_hbox_new (FALSE, 6);
  dialog->seed = GTK_ADJUSTMENT (
      gtk_adjustment_new (vals->seed, 0, G_MAXINT32, 1, 10, 0));
  spin = gtk_spin_button_new (dialog->seed, 1.0, 0);
  gtk_spin_button_set_numeric (GTK_SPIN_BUTTON (spin), TRUE);
  gtk_widget_set_name (spin, "st-seed");
  gtk_box_pack_start (GTK_BOX (hbox), spin, TRUE, TRUE, 0);
  gimp_help_set_help_data (spin,
                           _ ("The same seed and settings paint the same "
                              "picture."),
                           NULL);
  g_signal_connect (dialog->seed, "value-changed", G_CALLBACK (seed_changed),
                    dialog);
  button = gtk_button_new_with_mnemonic (_ ("_New Seed"));
  gtk_box_pack_start (GTK_BOX (hbox), button, FALSE, FALSE, 0);
  g_signal_connect (button, "clicked", G_CALLBACK (new_seed_clicked), dialog);
  attach_row (dialog, table, 5, _ ("Random s_eed:"), hbox);

  hbox = gtk_hbox_new (FALSE, 6);
  dialog->network_combo = gimp_int_combo_box_new (
      _ ("Best installed"), ST_NETWORK_BEST, _ ("Built-in (no download)"),
      ST_NETWORK_EMBEDDED, _ ("VGG19"), ST_NETWORK_VGG19,
      _ ("VGG19 weights file"), ST_NETWORK_FILE, NULL);
  gtk_widget_set_name (dialog->network_combo, "st-network");
  gimp_help_set_help_data (dialog->network_combo,
                           _ ("Best installed uses VGG19 when its weights are "
                              "installed and the built-in network otherwise."),
                           NULL);
  gtk_box_pack_start (GTK_BOX (hbox), dialog->network_combo, FALSE, FALSE, 0);

  dialog->network_file = gtk_file_chooser_button_new (
      _ ("Choose VGG19 Weights"), GTK_FILE_CHOOSER_ACTION_OPEN);
  filter = gtk_file_filter_new ();
  gtk_file_filter_set_name (filter, _ ("Safetensors files"));
  gtk_file_filter_add_pattern (filter, "*.safetensors");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog->network_file), filter);
  if (st_network_choice (vals->network) == ST_NETWORK_FILE)
    gtk_file_chooser_set_filename (GTK_FILE_CHOOSER (dialog->network_file),
                                   vals->network);
  gtk_box_pack_start (GTK_BOX (hbox), dialog->network_file, TRUE, TRUE, 0);
  g_signal_connect (dialog->network_file, "file-set",
                    G_CALLBACK (network_file_set), dialog);
  attach_row (dialog, table, 6, _ ("_Network:"), hbox);

  dialog->network_status = gtk_label_new (NULL);
  gtk_widget_set_name (dialog->network_status, "st-network-status");
  gtk_label_set_line_wrap (GTK_LABEL (dialog->network_status), TRUE);
  gtk_label_set_selectable (GTK_LABEL (dialog->network_status), TRUE);
  gtk_misc_set_alignment (GTK_MISC (dialog->network_status), 0.0, 0.5);
  gimp_label_set_attributes (GTK_LABEL (dialog->network_status),
                             PANGO_ATTR_SCALE, PANGO_SCALE_SMALL, -1);
  gtk_table_attach (GTK_TABLE (table), dialog->network_status, 1, 3, 7, 8,
                    GTK_FILL, GTK_FILL, 0, 0);

  dialog->updating = TRUE;
  gimp_int_combo_box_connect (GIMP_INT_COMBO_BOX (dialog->network_combo),
                              st_network_choice (vals->network),
                              G_CALLBACK (network_changed), dialog);
  dialog->updating = FALSE;

  return expander;
}

/* Puts every widget back to vals, as after Reset. */
static void
set_widgets_from_values (Dialog *dialog)
{
  StPluginValues *vals = dialog->vals;

  dialog->updating = TRUE;
  gtk_adjustment_set_value (GTK_ADJUSTMENT (dialog->strength), vals->strength);
  gtk_adjustment_set_value (GTK_ADJUSTMENT (dialog->size), vals->size);
  gtk_adjustment_set_value (GTK_ADJUSTMENT (dialog->iterations),
                            vals->iterations);
  gtk_adjustment_set_value (GTK_ADJUSTMENT (dialog->style_scale),
                            vals->style_scale);
  gtk_adjustment_set_value (GTK_ADJUSTMENT (dialog->smoothness),
                            vals->smoothness);
  gtk_adjustment_set_value (dialog->seed, vals->seed);
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (dialog->preserve),
                                vals->preserve_colors);
  gimp_int_combo_box_set_active (GIMP_INT_COMBO_BOX (dialog->quality_combo),
                                 st_quality_from_values (vals));
  gimp_int_combo_box_set_active (GIMP_INT_COMBO_BOX (dialog->network_combo),
                                 st_network_choice (vals->network));
  dialog->updating = FALSE;

  open_network (dialog);
  update_estimate (dialog);
  schedule_preview (dialog);
}

static void
reset_values (Dialog *dialog)
{
  gint32 style_id = dialog->vals->style_drawable;
  gchar *style_file = g_strdup (dialog->vals->style_file);

  /* The style is the user's choice of picture, not a setting. */
  st_plugin_values_init (dialog->vals);
  dialog->vals->style_drawable = style_id;
  g_strlcpy (dialog->vals->style_file, style_file,
             sizeof dialog->vals->style_file);
  g_free (style_file);
  set_widgets_from_values (dialog);
}

/* ------------------------------------------------------------ layout */

static GtkWidget *
settings_column (Dialog *dialog)
{
  StPluginValues *vals = dialog->vals;
  GtkWidget *vbox = gtk_vbox_new (FALSE, 12);
  GtkWidget *table;
  GtkWidget *hbox;
  gchar *text;
  GtkWidget *label;

  text = g_strdup_printf (_ ("Repaints this layer (%d × %d) in the style of "
                             "another picture, as a new layer."),
                          dialog->width, dialog->height);
  label = gtk_label_new (text);
  g_free (text);
  gtk_label_set_line_wrap (GTK_LABEL (label), TRUE);
  gtk_misc_set_alignment (GTK_MISC (label), 0.0, 0.5);
  gtk_box_pack_start (GTK_BOX (vbox), label, FALSE, FALSE, 0);

  table = gtk_table_new (5, 3, FALSE);
  gtk_table_set_col_spacings (GTK_TABLE (table), 6);
  gtk_table_set_row_spacings (GTK_TABLE (table), 6);
  gtk_box_pack_start (GTK_BOX (vbox), table, FALSE, FALSE, 0);

  dialog->style_combo = st_style_chooser_new (
      dialog->drawable_id, dialog->plugin_dir, vals,
      GTK_WINDOW (dialog->window), G_CALLBACK (style_changed), dialog);
  attach_row (dialog, table, 0, _ ("St_yle:"), dialog->style_combo);

  dialog->style_missing
      = gtk_label_new (_ ("No painting is installed and no other image is "
                          "open: choose a picture with From file…, or open "
                          "one in GIMP and run Style Transfer again."));
  gtk_widget_set_name (dialog->style_missing, "st-style-missing");
  gtk_label_set_line_wrap (GTK_LABEL (dialog->style_missing), TRUE);
  gtk_misc_set_alignment (GTK_MISC (dialog->style_missing), 0.0, 0.5);
  gimp_label_set_attributes (GTK_LABEL (dialog->style_missing),
                             PANGO_ATTR_WEIGHT, PANGO_WEIGHT_BOLD, -1);
  gtk_table_attach (GTK_TABLE (table), dialog->style_missing, 1, 3, 1, 2,
                    GTK_FILL, GTK_FILL, 0, 0);
  gtk_widget_set_no_show_all (dialog->style_missing, TRUE);

  dialog->strength
      = add_scale (dialog, table, 2, _ ("_Strength:"), vals->strength, 0.0,
                   ST_PLUGIN_STRENGTH_MAX, ST_PLUGIN_STRENGTH_MAX, 1.0, 0,
                   _ ("How much style against content, in percent: 50 is the "
                      "usual balance, higher paints over more of the photo."),
                   "st-strength", G_CALLBACK (double_changed), &vals->strength);

  hbox = gtk_hbox_new (FALSE, 12);
  dialog->quality_combo = gimp_int_combo_box_new (
      _ ("Draft"), ST_QUALITY_DRAFT, _ ("Balanced"), ST_QUALITY_BALANCED,
      _ ("Best"), ST_QUALITY_BEST, _ ("Custom"), ST_QUALITY_CUSTOM, NULL);
  gtk_widget_set_name (dialog->quality_combo, "st-quality");
  gimp_help_set_help_data (dialog->quality_combo,
                           _ ("Every preset paints at the layer's full size.  "
                              "Draft is quick, with few iterations; Balanced "
                              "is the default; Best takes twice its "
                              "iterations.  Custom is whatever the Advanced "
                              "settings say."),
                           NULL);
  gtk_box_pack_start (GTK_BOX (hbox), dialog->quality_combo, FALSE, FALSE, 0);
  dialog->estimate = gtk_label_new (NULL);
  gtk_widget_set_name (dialog->estimate, "st-estimate");
  gtk_misc_set_alignment (GTK_MISC (dialog->estimate), 0.0, 0.5);
  gtk_box_pack_start (GTK_BOX (hbox), dialog->estimate, TRUE, TRUE, 0);
  attach_row (dialog, table, 3, _ ("_Quality:"), hbox);

  dialog->preserve
      = gtk_check_button_new_with_mnemonic (_ ("Preserve original co_lors"));
  gtk_widget_set_name (dialog->preserve, "st-preserve-colors");
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (dialog->preserve),
                                vals->preserve_colors);
  gimp_help_set_help_data (dialog->preserve,
                           _ ("Paint only light and dark in the style and keep "
                              "the photo's own colors."),
                           NULL);
  g_signal_connect (dialog->preserve, "toggled", G_CALLBACK (preserve_toggled),
                    dialog);
  gtk_table_attach (GTK_TABLE (table), dialog->preserve, 0, 3, 4, 5, GTK_FILL,
                    GTK_FILL, 0, 0);

  gtk_box_pack_start (GTK_BOX (vbox), advanced_settings (dialog), FALSE, FALSE,
                      0);

  dialog->updating = TRUE;
  gimp_int_combo_box_connect (GIMP_INT_COMBO_BOX (dialog->quality_combo),
                              st_quality_from_values (vals),
                              G_CALLBACK (quality_changed), dialog);
  dialog->updating = FALSE;

  return vbox;
}

/* ------------------------------------------------------------- entry */

gboolean
st_dialog_run (StPluginValues *vals, gint32 image_id, gint32 drawable_id,
               const gchar *plugin_dir)
{
  Dialog dialog;
  DialogMemory memory = { TRUE };
  GtkWidget *hbox;
  gint response;

  memset (&dialog, 0, sizeof dialog);
  dialog.vals = vals;
  dialog.image_id = image_id;
  dialog.drawable_id = drawable_id;
  dialog.plugin_dir = plugin_dir;
  dialog.width = gimp_drawable_width (drawable_id);
  dialog.height = gimp_drawable_height (drawable_id);
  if (gimp_get_data_size (DIALOG_DATA) == sizeof memory)
    gimp_get_data (DIALOG_DATA, &memory);
  dialog.labels = gtk_size_group_new (GTK_SIZE_GROUP_HORIZONTAL);

  gimp_ui_init (PLUG_IN_BINARY, FALSE);

  dialog.window = gimp_dialog_new (
      _ ("Style Transfer"), PLUG_IN_ROLE, NULL, 0, gimp_standard_help_func,
      PLUG_IN_PROC, _ ("_Reset"), RESPONSE_RESET, _ ("_Cancel"),
      GTK_RESPONSE_CANCEL, _ ("_OK"), GTK_RESPONSE_OK, NULL);
  gtk_dialog_set_alternative_button_order (GTK_DIALOG (dialog.window),
                                           RESPONSE_RESET, GTK_RESPONSE_OK,
                                           GTK_RESPONSE_CANCEL, -1);
  gtk_dialog_set_default_response (GTK_DIALOG (dialog.window), GTK_RESPONSE_OK);
  gimp_window_set_transient (GTK_WINDOW (dialog.window));

  hbox = gtk_hbox_new (FALSE, 12);
  gtk_container_set_border_width (GTK_CONTAINER (hbox), 12);
  gtk_box_pack_start (
      GTK_BOX (gtk_dialog_get_content_area (GTK_DIALOG (dialog.window))), hbox,
      TRUE, TRUE, 0);
  dialog.preview = st_preview_pane_new (vals, image_id, drawable_id,
                                        memory.preview != 0);
  gtk_box_pack_start (GTK_BOX (hbox), st_preview_pane_widget (dialog.preview),
                      FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (hbox), settings_column (&dialog), TRUE, TRUE, 0);

  open_network (&dialog);

  update_estimate (&dialog);
  gtk_widget_show_all (dialog.window);
  /* The chooser has chosen: OK, the no-style message and the preview. */
  style_changed (dialog.style_combo, &dialog);

  do
    {
      response = gimp_dialog_run (GIMP_DIALOG (dialog.window));
      if (response == RESPONSE_RESET)
        reset_values (&dialog);
    }
  while (response == RESPONSE_RESET);

  /* Cancel, close or OK: the preview stops now, not after the run. */
  st_preview_pane_stop (dialog.preview);

  if (response == GTK_RESPONSE_OK)
    vals->seed = (gint32)RINT (gtk_adjustment_get_value (dialog.seed));
  /* Remembered however the dialog closes, as a preference of the user. */
  memory.preview = st_preview_pane_is_on (dialog.preview);
  gimp_set_data (DIALOG_DATA, &memory, sizeof memory);

  gtk_widget_destroy (dialog.window);
  /* Runs the idle callbacks the cancelled preview had queued, which only
   * free their frames. */
  while (g_main_context_pending (NULL))
    g_main_context_iteration (NULL, FALSE);

  st_preview_pane_free (dialog.preview);
  st_network_free (dialog.network);
  g_object_unref (dialog.labels);

  return response == GTK_RESPONSE_OK
         && (vals->style_drawable != -1 || vals->style_file[0]);
}
