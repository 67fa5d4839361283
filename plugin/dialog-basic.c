/* dialog-basic.c - a plain settings dialog for interactive runs.
 *
 * The fuller dialog (previews, estimates) will live in ui/ and replace
 * this file behind st_plugin_dialog () in plugin.h.
 *
 * Copyright (C) 2024 the GIMP Style Transfer authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include <libgimp/gimp.h>
#include <libgimp/gimpui.h>

#include "plugin.h"

#define SCALE_WIDTH 200
#define ENTRY_WIDTH 6

/* The choices of the network combo box. */
enum
{
  NETWORK_BEST,
  NETWORK_EMBEDDED,
  NETWORK_VGG19,
  NETWORK_FILE
};

typedef struct
{
  StPluginValues *vals;
  GtkWidget *network_combo;
  GtkWidget *network_file;
  GtkWidget *ok_button;
  guint32 seed;
  gboolean random_seed;
} Dialog;

/* Any layer but the content, in this image or another open one. */
static gboolean
style_constraint (gint32 image_id, gint32 item_id, gpointer data)
{
  (void)image_id;

  return item_id != GPOINTER_TO_INT (data) && gimp_item_is_layer (item_id);
}

static gint
network_choice (const gchar *network)
{
  if (network[0] == '\0')
    return NETWORK_BEST;
  if (strcmp (network, "embedded") == 0)
    return NETWORK_EMBEDDED;
  if (strcmp (network, "vgg19") == 0)
    return NETWORK_VGG19;
  return NETWORK_FILE;
}

static void
network_changed (GtkWidget *combo, Dialog *dialog)
{
  gint choice = NETWORK_BEST;

  gimp_int_combo_box_get_active (GIMP_INT_COMBO_BOX (combo), &choice);
  gtk_widget_set_sensitive (dialog->network_file, choice == NETWORK_FILE);
}

static void
style_changed (GtkWidget *combo, Dialog *dialog)
{
  gint style_id = -1;

  if (!gimp_int_combo_box_get_active (GIMP_INT_COMBO_BOX (combo), &style_id))
    style_id = -1;

  dialog->vals->style_drawable = style_id;
  gtk_widget_set_sensitive (dialog->ok_button, style_id != -1);
}

/* Copies the network choice back into vals; an empty file choice falls
 * back to the best installed network. */
static void
store_network (Dialog *dialog)
{
  StPluginValues *vals = dialog->vals;
  gint choice = NETWORK_BEST;
  gchar *path;

  gimp_int_combo_box_get_active (GIMP_INT_COMBO_BOX (dialog->network_combo),
                                 &choice);
  switch (choice)
    {
    case NETWORK_EMBEDDED:
      g_strlcpy (vals->network, "embedded", sizeof vals->network);
      break;

    case NETWORK_VGG19:
      g_strlcpy (vals->network, "vgg19", sizeof vals->network);
      break;

    case NETWORK_FILE:
      path = gtk_file_chooser_get_filename (
          GTK_FILE_CHOOSER (dialog->network_file));
      g_strlcpy (vals->network,
                 path && strlen (path) < sizeof vals->network ? path : "",
                 sizeof vals->network);
      g_free (path);
      break;

    default:
      vals->network[0] = '\0';
      break;
    }
}

static GtkWidget *
network_widgets (Dialog *dialog)
{
  GtkWidget *hbox = gtk_hbox_new (FALSE, 6);
  GtkFileFilter *filter;

  dialog->network_combo = gimp_int_combo_box_new (
      _ ("Best installed"), NETWORK_BEST, _ ("Built-in (no download)"),
      NETWORK_EMBEDDED, _ ("VGG19"), NETWORK_VGG19, _ ("VGG19 weights file"),
      NETWORK_FILE, NULL);
  gimp_help_set_help_data (dialog->network_combo,
                           _ ("Best installed uses VGG19 when its weights are "
                              "installed and the built-in network otherwise; "
                              "VGG19 paints more convincingly."),
                           NULL);
  gtk_box_pack_start (GTK_BOX (hbox), dialog->network_combo, FALSE, FALSE, 0);

  dialog->network_file = gtk_file_chooser_button_new (
      _ ("Choose VGG19 weights"), GTK_FILE_CHOOSER_ACTION_OPEN);
  filter = gtk_file_filter_new ();
  gtk_file_filter_set_name (filter, _ ("Safetensors files"));
  gtk_file_filter_add_pattern (filter, "*.safetensors");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog->network_file), filter);
  gtk_box_pack_start (GTK_BOX (hbox), dialog->network_file, TRUE, TRUE, 0);

  if (network_choice (dialog->vals->network) == NETWORK_FILE)
    gtk_file_chooser_set_filename (GTK_FILE_CHOOSER (dialog->network_file),
                                   dialog->vals->network);

  gimp_int_combo_box_connect (GIMP_INT_COMBO_BOX (dialog->network_combo),
                              network_choice (dialog->vals->network),
                              G_CALLBACK (network_changed), dialog);
  network_changed (dialog->network_combo, dialog);

  return hbox;
}

static void
add_double_scale (GtkTable *table, gint row, const gchar *label, gdouble *value,
                  gdouble lower, gdouble upper, gdouble hard_lower,
                  gdouble hard_upper, guint digits, const gchar *tooltip)
{
  GtkObject *adjustment;

  adjustment = gimp_scale_entry_new (
      table, 0, row, label, SCALE_WIDTH, ENTRY_WIDTH, *value, lower, upper,
      (upper - lower) / 100.0, (upper - lower) / 10.0, digits, FALSE,
      hard_lower, hard_upper, tooltip, NULL);
  g_signal_connect (adjustment, "value-changed",
                    G_CALLBACK (gimp_double_adjustment_update), value);
}

static void
add_int_scale (GtkTable *table, gint row, const gchar *label, gint *value,
               gint upper, gint hard_upper, const gchar *tooltip)
{
  GtkObject *adjustment;

  adjustment = gimp_scale_entry_new (table, 0, row, label, SCALE_WIDTH,
                                     ENTRY_WIDTH, *value, 0, upper, 1, 10, 0,
                                     FALSE, 0, hard_upper, tooltip, NULL);
  g_signal_connect (adjustment, "value-changed",
                    G_CALLBACK (gimp_int_adjustment_update), value);
}

gboolean
st_plugin_dialog (StPluginValues *vals, gint32 image_id, gint32 drawable_id)
{
  Dialog dialog = { vals, NULL, NULL, NULL, 0, FALSE };
  GtkWidget *window;
  GtkWidget *vbox;
  GtkWidget *table;
  GtkWidget *combo;
  GtkWidget *toggle;
  GtkWidget *seed;
  gchar *text;
  GtkWidget *label;
  gboolean run;

  (void)image_id;

  gimp_ui_init (PLUG_IN_BINARY, FALSE);

  window = gimp_dialog_new (_ ("Style Transfer"), PLUG_IN_ROLE, NULL, 0,
                            gimp_standard_help_func, PLUG_IN_PROC,
                            _ ("_Cancel"), GTK_RESPONSE_CANCEL, NULL);
  dialog.ok_button
      = gtk_dialog_add_button (GTK_DIALOG (window), _ ("_OK"), GTK_RESPONSE_OK);
  gtk_dialog_set_alternative_button_order (GTK_DIALOG (window), GTK_RESPONSE_OK,
                                           GTK_RESPONSE_CANCEL, -1);
  gimp_window_set_transient (GTK_WINDOW (window));

  vbox = gtk_vbox_new (FALSE, 12);
  gtk_container_set_border_width (GTK_CONTAINER (vbox), 12);
  gtk_box_pack_start (
      GTK_BOX (gtk_dialog_get_content_area (GTK_DIALOG (window))), vbox, TRUE,
      TRUE, 0);

  text = g_strdup_printf (_ ("Repaints this layer (%d × %d) in the style of "
                             "another layer, from this image or another open "
                             "one.  The result is a new layer; the original "
                             "stays as it is."),
                          gimp_drawable_width (drawable_id),
                          gimp_drawable_height (drawable_id));
  label = gtk_label_new (text);
  g_free (text);
  gtk_label_set_line_wrap (GTK_LABEL (label), TRUE);
  gtk_misc_set_alignment (GTK_MISC (label), 0.0, 0.5);
  gtk_box_pack_start (GTK_BOX (vbox), label, FALSE, FALSE, 0);

  table = gtk_table_new (9, 3, FALSE);
  gtk_table_set_col_spacings (GTK_TABLE (table), 6);
  gtk_table_set_row_spacings (GTK_TABLE (table), 6);
  gtk_box_pack_start (GTK_BOX (vbox), table, FALSE, FALSE, 0);

  combo = gimp_drawable_combo_box_new (style_constraint,
                                       GINT_TO_POINTER (drawable_id));
  gimp_help_set_help_data (combo,
                           _ ("The picture whose style is painted onto this "
                              "layer: open it first, as an image or as a "
                              "layer of this image."),
                           NULL);
  gimp_table_attach_aligned (GTK_TABLE (table), 0, 0, _ ("St_yle:"), 0.0, 0.5,
                             combo, 2, FALSE);
  gimp_int_combo_box_connect (GIMP_INT_COMBO_BOX (combo), vals->style_drawable,
                              G_CALLBACK (style_changed), &dialog);
  style_changed (combo, &dialog);

  add_double_scale (GTK_TABLE (table), 1, _ ("_Strength:"), &vals->strength,
                    0.0, ST_PLUGIN_STRENGTH_MAX, 0.0, ST_PLUGIN_STRENGTH_MAX, 0,
                    _ ("How much style against content: 50 is the usual "
                       "balance, higher paints over more of the photo."));
  add_int_scale (GTK_TABLE (table), 2, _ ("Si_ze:"), &vals->size, 2048,
                 GIMP_MAX_IMAGE_SIZE,
                 _ ("Long side in pixels at which the painting is made; the "
                    "result is scaled to the layer.  0 uses the layer's own "
                    "size as far as memory allows.  Larger is slower."));
  add_int_scale (GTK_TABLE (table), 3, _ ("_Iterations:"), &vals->iterations,
                 1000, ST_PLUGIN_ITERATIONS_MAX,
                 _ ("Optimizer steps per scale; 0 chooses automatically."));
  add_double_scale (GTK_TABLE (table), 4, _ ("Style s_cale:"),
                    &vals->style_scale, 0.25, 4.0, ST_PLUGIN_STYLE_SCALE_MIN,
                    ST_PLUGIN_STYLE_SCALE_MAX, 2,
                    _ ("Size of the brush strokes: 1 keeps them as large as "
                       "in the style picture, 2 doubles them."));
  add_double_scale (GTK_TABLE (table), 5, _ ("S_moothness:"), &vals->smoothness,
                    0.0, 10.0, 0.0, ST_PLUGIN_SMOOTHNESS_MAX, 2,
                    _ ("Smooths out noise: 1 is the network's default, 0 "
                       "turns it off, 2 doubles it."));

  dialog.seed = (guint32)vals->seed;
  seed = gimp_random_seed_new (&dialog.seed, &dialog.random_seed);
  gimp_table_attach_aligned (GTK_TABLE (table), 0, 6, _ ("Random s_eed:"), 0.0,
                             0.5, seed, 2, FALSE);

  gimp_table_attach_aligned (GTK_TABLE (table), 0, 7, _ ("_Network:"), 0.0, 0.5,
                             network_widgets (&dialog), 2, FALSE);

  toggle = gtk_check_button_new_with_mnemonic (_ ("_Preserve the layer's "
                                                  "colors"));
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (toggle),
                                vals->preserve_colors);
  gimp_help_set_help_data (toggle,
                           _ ("Paint only light and dark in the style and "
                              "keep the photo's own colours."),
                           NULL);
  g_signal_connect (toggle, "toggled", G_CALLBACK (gimp_toggle_button_update),
                    &vals->preserve_colors);
  gtk_table_attach (GTK_TABLE (table), toggle, 0, 3, 8, 9, GTK_FILL, GTK_FILL,
                    0, 0);

  gtk_widget_show_all (window);

  run = gimp_dialog_run (GIMP_DIALOG (window)) == GTK_RESPONSE_OK;
  if (run)
    {
      vals->seed = (gint32)dialog.seed;
      store_network (&dialog);
    }

  gtk_widget_destroy (window);

  return run;
}
