/* dialog.c - the Style Transfer dialog: its layout, the style chooser's
 * row, strength, quality, the advanced settings, Reset, and the run of
 * the dialog itself.
 *
 * It edits the plug-in's StPluginValues (plugin/values.h) and nothing
 * else; the plug-in saves them as the last values after a run.  The
 * parts with a concept of their own are in files of their own: the
 * style chooser (chooser.c), the network row (network-row.c), the
 * estimate's text (estimate-text.c), the preview (preview-pane.c, with
 * its zoom in preview-nav.c and its worker in preview.c), the
 * Quality presets (quality.c) and the sliders' words and ranges
 * (sliders.c).  Every libgimp and GTK call stays in the
 * main thread.
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
#include "automatic-spin.h"
#include "dialog.h"
#include "estimate-text.h"
#include "network-row.h"
#include "plugin/values.h"
#include "preview-pane.h"
#include "quality.h"
#include "sliders.h"
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

  StContext *engine;     /* the plug-in's, for the estimate and preview */
  StNetworkRow *network; /* the network of the estimate and the preview */
  StPreviewPane *preview;

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

/* The estimate beside Quality and the size note under Size. */
static void
update_estimate (Dialog *dialog)
{
  st_estimate_text_update (dialog->estimate, dialog->size_note, dialog->engine,
                           st_network_row_network (dialog->network),
                           dialog->vals, dialog->width, dialog->height);
}

/* The kind of the network the estimate and the preview use: the
 * presets' iterations are multiples of its default. */
static StNetworkKind
network_kind (Dialog *dialog)
{
  return st_network_kind (st_network_row_network (dialog->network));
}

/* The quality's tooltip says what the presets do with this network. */
static void
set_quality_tooltip (Dialog *dialog)
{
  gchar *text = st_quality_tooltip (network_kind (dialog));

  gimp_help_set_help_data (dialog->quality_combo, text, NULL);
  g_free (text);
}

/* The user chose another network, open now: a preset stays the same
 * preset, with the new network's iterations. */
static void
network_changed (const StNetwork *network, gpointer data)
{
  Dialog *dialog = data;
  gint quality = ST_QUALITY_CUSTOM;

  gimp_int_combo_box_get_active (GIMP_INT_COMBO_BOX (dialog->quality_combo),
                                 &quality);
  dialog->updating = TRUE;
  if (quality != ST_QUALITY_CUSTOM)
    {
      st_quality_apply ((StQuality)quality, st_network_kind (network),
                        dialog->vals);
      gtk_adjustment_set_value (GTK_ADJUSTMENT (dialog->iterations),
                                dialog->vals->iterations);
    }
  gimp_int_combo_box_set_active (
      GIMP_INT_COMBO_BOX (dialog->quality_combo),
      st_quality_from_values (dialog->vals, st_network_kind (network)));
  dialog->updating = FALSE;
  set_quality_tooltip (dialog);

  st_preview_pane_set_network (dialog->preview, network);
  update_estimate (dialog);
  schedule_preview (dialog);
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

  st_quality_apply ((StQuality)quality, network_kind (dialog), dialog->vals);

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
  gimp_int_combo_box_set_active (
      GIMP_INT_COMBO_BOX (dialog->quality_combo),
      st_quality_from_values (dialog->vals, network_kind (dialog)));
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

/* The slider's row of the table, set to its value in vals. */
static GtkObject *
add_scale (Dialog *dialog, GtkWidget *table, gint row, const StSlider *slider)
{
  gpointer value = G_STRUCT_MEMBER_P (dialog->vals, slider->offset);
  GtkObject *adjustment;

  adjustment = gimp_scale_entry_new (
      GTK_TABLE (table), 0, row, _ (slider->label), SCALE_WIDTH, SPIN_WIDTH,
      slider->whole ? *(gint *)value : *(gdouble *)value, slider->lower,
      slider->upper, slider->step, slider->step * 10.0, slider->digits, FALSE,
      slider->lower, slider->hard_upper, _ (slider->tooltip), NULL);
  gtk_widget_set_name (GIMP_SCALE_ENTRY_SCALE (adjustment), slider->name);
  gtk_size_group_add_widget (dialog->labels,
                             GIMP_SCALE_ENTRY_LABEL (adjustment));
  g_object_set_data (G_OBJECT (adjustment), "st-dialog", dialog);
  g_signal_connect (adjustment, "value-changed",
                    slider->whole ? G_CALLBACK (run_size_changed)
                                  : G_CALLBACK (double_changed),
                    value);

  return adjustment;
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

  expander = gtk_expander_new_with_mnemonic (_ ("_Advanced"));
  gtk_widget_set_name (expander, "st-advanced");

  table = gtk_table_new (8, 3, FALSE);
  gtk_table_set_col_spacings (GTK_TABLE (table), 6);
  gtk_table_set_row_spacings (GTK_TABLE (table), 6);
  align = gtk_alignment_new (0.0, 0.0, 1.0, 1.0);
  gtk_alignment_set_padding (GTK_ALIGNMENT (align), 6, 0, 0, 0);
  gtk_container_add (GTK_CONTAINER (align), table);
  gtk_container_add (GTK_CONTAINER (expander), align);

  dialog->size = add_scale (dialog, table, 0, &st_size_slider);
  dialog->iterations = add_scale (dialog, table, 2, &st_iterations_slider);
  spin = GIMP_SCALE_ENTRY_SPINBUTTON (dialog->iterations);
  gtk_widget_set_name (spin, "st-iterations-entry");
  st_automatic_spin_setup (spin);

  dialog->size_note = st_theme_note_label ("st-size-note");
  gtk_table_attach (GTK_TABLE (table), dialog->size_note, 1, 3, 1, 2, GTK_FILL,
                    GTK_FILL, 0, 0);
  dialog->style_scale = add_scale (dialog, table, 3, &st_style_scale_slider);
  dialog->smoothness = add_scale (dialog, table, 4, &st_smoothness_slider);

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

  attach_row (dialog, table, 6, _ ("_Network:"),
              st_network_row_chooser (dialog->network));
  gtk_table_attach (GTK_TABLE (table), st_network_row_status (dialog->network),
                    1, 3, 7, 8, GTK_FILL, GTK_FILL, 0, 0);

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
  gimp_int_combo_box_set_active (
      GIMP_INT_COMBO_BOX (dialog->quality_combo),
      st_quality_from_values (vals, network_kind (dialog)));
  dialog->updating = FALSE;

  /* It opens the network again, then the estimate and the preview
   * follow (network_changed). */
  st_network_row_reload (dialog->network);
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

  dialog->strength = add_scale (dialog, table, 2, &st_strength_slider);

  hbox = gtk_hbox_new (FALSE, 12);
  dialog->quality_combo = gimp_int_combo_box_new (
      _ ("Draft"), ST_QUALITY_DRAFT, _ ("Balanced"), ST_QUALITY_BALANCED,
      _ ("Best"), ST_QUALITY_BEST, _ ("Custom"), ST_QUALITY_CUSTOM, NULL);
  gtk_widget_set_name (dialog->quality_combo, "st-quality");
  set_quality_tooltip (dialog);
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
  gimp_int_combo_box_connect (
      GIMP_INT_COMBO_BOX (dialog->quality_combo),
      st_quality_from_values (vals, network_kind (dialog)),
      G_CALLBACK (quality_changed), dialog);
  dialog->updating = FALSE;

  return vbox;
}

/* ------------------------------------------------------------- entry */

gboolean
st_dialog_run (StContext *engine, StPluginValues *vals, gint32 image_id,
               gint32 drawable_id, const gchar *plugin_dir, StNetwork **network)
{
  Dialog dialog;
  DialogMemory memory = { TRUE };
  GtkWidget *hbox;
  gint response;

  memset (&dialog, 0, sizeof dialog);
  dialog.engine = engine;
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
  dialog.preview = st_preview_pane_new (engine, vals, image_id, drawable_id,
                                        memory.preview != 0);
  gtk_box_pack_start (GTK_BOX (hbox), st_preview_pane_widget (dialog.preview),
                      FALSE, FALSE, 0);
  dialog.network
      = st_network_row_new (vals, plugin_dir, network_changed, &dialog);
  st_preview_pane_set_network (dialog.preview,
                               st_network_row_network (dialog.network));
  gtk_box_pack_start (GTK_BOX (hbox), settings_column (&dialog), TRUE, TRUE, 0);

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

  *network = NULL;
  if (response == GTK_RESPONSE_OK)
    {
      vals->seed = (gint32)RINT (gtk_adjustment_get_value (dialog.seed));
      /* the run reads the network once: this one */
      *network = st_network_row_take_network (dialog.network);
    }
  /* Remembered however the dialog closes, as a preference of the user. */
  memory.preview = st_preview_pane_is_on (dialog.preview);
  gimp_set_data (DIALOG_DATA, &memory, sizeof memory);

  gtk_widget_destroy (dialog.window);
  /* Runs the idle callbacks the cancelled preview had queued, which only
   * free their frames. */
  while (g_main_context_pending (NULL))
    g_main_context_iteration (NULL, FALSE);

  st_preview_pane_free (dialog.preview);
  st_network_row_free (dialog.network);
  g_object_unref (dialog.labels);

  return response == GTK_RESPONSE_OK
         && (vals->style_drawable != -1 || vals->style_file[0]);
}
