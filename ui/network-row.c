/* network-row.c - the dialog's Network row (network-row.h).
 *
 * Copyright (C) 2024 the GIMP Style Transfer authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include <libgimp/gimp.h>
#include <libgimp/gimpui.h>

#include <glib/gi18n.h>

#include "network-row.h"
#include "theme.h"

struct StNetworkRow
{
  StPluginValues *vals;
  const gchar *plugin_dir; /* where VGG19 may be installed */
  StNetworkRowFunc changed;
  gpointer data;

  GtkWidget *chooser; /* the combo and the file button */
  GtkWidget *combo;
  GtkWidget *file;
  GtkWidget *status;
  gboolean as_asked; /* network is the one vals->network names */
  gboolean updating; /* the combo set from vals */

  StNetwork *network;
};

/* What the status line says of the open network, or of why name could
 * not be used (error), and how to install VGG19 when it is missing. */
static gchar *
status_text (StNetworkRow *row, const GError *error)
{
  const gchar *name = row->vals->network;
  gchar *vgg19 = st_network_find_vgg19 (row->plugin_dir);
  GString *text = g_string_new (NULL);
  gboolean hint_given = FALSE;

  if (!error)
    {
      switch (st_network_kind (row->network))
        {
        case ST_NETWORK_KIND_VGG19:
          g_string_append (text, _ ("Paints with the VGG19 network."));
          break;
        case ST_NETWORK_KIND_EMBEDDED:
        default:
          g_string_append (text, _ ("Paints with the built-in network."));
          break;
        }
    }
  else
    {
      gchar *message = st_plugin_network_message (error, name);

      /* That message already says how to install VGG19. */
      hint_given = error->domain == ST_ERROR
                   && error->code == ST_ERROR_NOT_FOUND
                   && st_network_choice (name) == ST_NETWORK_VGG19;
      g_string_append_printf (text, _ ("This network cannot be used: %s"),
                              message);
      g_free (message);
    }

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

  g_free (vgg19);
  return g_string_free (text, FALSE);
}

/* Opens the network of vals, says which one it is, and hands it to
 * changed (when notify) before the one open until now is freed. */
static void
open_network (StNetworkRow *row, gboolean notify)
{
  StNetwork *before = row->network;
  GError *error = NULL;
  gchar *text;

  row->network = st_network_open (row->vals->network, row->plugin_dir, &error);
  row->as_asked = row->network != NULL;
  /* The preview and the estimate still need a network. */
  if (!row->network)
    row->network = st_network_new_embedded ();
  text = status_text (row, error);
  gtk_label_set_text (GTK_LABEL (row->status), text);
  g_free (text);
  g_clear_error (&error);

  if (notify)
    row->changed (row->network, row->data);
  st_network_free (before);
}

/* vals->network from the combo (and the file button for a file). */
static void
network_changed (GtkWidget *combo, StNetworkRow *row)
{
  StPluginValues *vals = row->vals;
  gint choice = ST_NETWORK_BEST;
  gchar *path = NULL;

  gimp_int_combo_box_get_active (GIMP_INT_COMBO_BOX (combo), &choice);
  gtk_widget_set_sensitive (row->file, choice == ST_NETWORK_FILE);

  if (row->updating)
    return;

  switch (choice)
    {
    case ST_NETWORK_EMBEDDED:
      g_strlcpy (vals->network, st_network_kind_name (ST_NETWORK_KIND_EMBEDDED),
                 sizeof vals->network);
      break;

    case ST_NETWORK_VGG19:
      g_strlcpy (vals->network, st_network_kind_name (ST_NETWORK_KIND_VGG19),
                 sizeof vals->network);
      break;

    case ST_NETWORK_FILE:
      path = gtk_file_chooser_get_filename (GTK_FILE_CHOOSER (row->file));
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

  open_network (row, TRUE);
}

static void
network_file_set (GtkFileChooserButton *button, StNetworkRow *row)
{
  (void)button;
  network_changed (row->combo, row);
}

static void
new_chooser (StNetworkRow *row)
{
  GtkFileFilter *filter;

  row->chooser = gtk_hbox_new (FALSE, 6);
  row->combo = gimp_int_combo_box_new (
      _ ("Best installed"), ST_NETWORK_BEST, _ ("Built-in (no download)"),
      ST_NETWORK_EMBEDDED, _ ("VGG19"), ST_NETWORK_VGG19,
      _ ("VGG19 weights file"), ST_NETWORK_FILE, NULL);
  gtk_widget_set_name (row->combo, "st-network");
  gimp_help_set_help_data (row->combo,
                           _ ("Best installed uses VGG19 when its weights are "
                              "installed and the built-in network otherwise."),
                           NULL);
  gtk_box_pack_start (GTK_BOX (row->chooser), row->combo, FALSE, FALSE, 0);

  row->file = gtk_file_chooser_button_new (_ ("Choose VGG19 Weights"),
                                           GTK_FILE_CHOOSER_ACTION_OPEN);
  filter = gtk_file_filter_new ();
  gtk_file_filter_set_name (filter, _ ("Safetensors files"));
  gtk_file_filter_add_pattern (filter, "*.safetensors");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (row->file), filter);
  if (st_network_choice (row->vals->network) == ST_NETWORK_FILE)
    gtk_file_chooser_set_filename (GTK_FILE_CHOOSER (row->file),
                                   row->vals->network);
  gtk_box_pack_start (GTK_BOX (row->chooser), row->file, TRUE, TRUE, 0);
  g_signal_connect (row->file, "file-set", G_CALLBACK (network_file_set), row);

  row->updating = TRUE;
  gimp_int_combo_box_connect (GIMP_INT_COMBO_BOX (row->combo),
                              st_network_choice (row->vals->network),
                              G_CALLBACK (network_changed), row);
  row->updating = FALSE;
}

StNetworkRow *
st_network_row_new (StPluginValues *vals, const gchar *plugin_dir,
                    StNetworkRowFunc changed, gpointer data)
{
  StNetworkRow *row = g_new0 (StNetworkRow, 1);

  row->vals = vals;
  row->plugin_dir = plugin_dir;
  row->changed = changed;
  row->data = data;
  row->status = st_theme_note_label ("st-network-status");
  /* The install command in it is there to be copied. */
  gtk_label_set_selectable (GTK_LABEL (row->status), TRUE);
  new_chooser (row);
  open_network (row, FALSE);
  return row;
}

GtkWidget *
st_network_row_chooser (StNetworkRow *row)
{
  return row->chooser;
}

GtkWidget *
st_network_row_status (StNetworkRow *row)
{
  return row->status;
}

const StNetwork *
st_network_row_network (StNetworkRow *row)
{
  return row->network;
}

void
st_network_row_reload (StNetworkRow *row)
{
  row->updating = TRUE;
  gimp_int_combo_box_set_active (GIMP_INT_COMBO_BOX (row->combo),
                                 st_network_choice (row->vals->network));
  row->updating = FALSE;
  open_network (row, TRUE);
}

StNetwork *
st_network_row_take_network (StNetworkRow *row)
{
  StNetwork *network = row->as_asked ? row->network : NULL;
  if (network)
    row->network = NULL;
  return network;
}

void
st_network_row_free (StNetworkRow *row)
{
  if (!row)
    return;
  st_network_free (row->network);
  g_free (row);
}
