/* chooser.c - the dialog's style chooser.
 *
 * One combo box: the layers of the open images (by the image's name, the
 * layer's when the image has several), the paintings installed with the
 * plug-in (title, painter and year from paintings.ini, the provenance in
 * the tooltip), then "From file..." which adds any picture on disk
 * without opening it in GIMP.
 *
 * Copyright (C) 2024 the GIMP Style Transfer authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include <libgimp/gimp.h>
#include <libgimp/gimpui.h>

#include <glib/gi18n.h>

#include "chooser.h"
#include "plugin/style.h"

#define THUMBNAIL_SIZE 40

typedef struct
{
  StPluginValues *vals;
  GtkWindow *parent;
  GtkListStore *store;
  void (*changed) (GtkWidget *chooser, gpointer data);
  gpointer data;
  gint last_active; /* restored when "From file..." is cancelled */
  gboolean busy;    /* the file chooser is open                  */
} Chooser;

/* ------------------------------------------------------------- rows */

static void
add_row (Chooser *chooser, GtkTreeIter *iter, GdkPixbuf *pixbuf,
         const gchar *markup, StChoiceKind kind, gint32 drawable_id,
         const gchar *path, const gchar *tooltip)
{
  gtk_list_store_append (chooser->store, iter);
  gtk_list_store_set (chooser->store, iter, ST_CHOOSER_COL_PIXBUF, pixbuf,
                      ST_CHOOSER_COL_MARKUP, markup, ST_CHOOSER_COL_KIND, kind,
                      ST_CHOOSER_COL_DRAWABLE, drawable_id, ST_CHOOSER_COL_PATH,
                      path, ST_CHOOSER_COL_TOOLTIP, tooltip, -1);
}

static void
add_separator (Chooser *chooser)
{
  GtkTreeIter iter;

  add_row (chooser, &iter, NULL, NULL, ST_CHOICE_SEPARATOR, -1, NULL, NULL);
}

/* Every layer but the content, by its image's name; the layer's name
 * too when its image offers more than one. */
static gint
add_open_layers (Chooser *chooser, gint32 content_id, const gchar *plugin_dir,
                 gint *first_other)
{
  gint32 content_image = gimp_item_get_image (content_id);
  gint32 *images;
  gint n_images, i, added = 0;

  images = gimp_image_list (&n_images);
  for (i = 0; i < n_images; i++)
    {
      gint32 *layers;
      gint n_layers, j, candidates = 0;
      /* "starry_night.jpg", or "The Starry Night" for an installed
       * painting opened in GIMP: never "[starry-night] (imported)". */
      gchar *image_name = st_style_image_label (images[i], plugin_dir, TRUE);

      layers = gimp_image_get_layers (images[i], &n_layers);
      for (j = 0; j < n_layers; j++)
        candidates += layers[j] != content_id;

      for (j = 0; j < n_layers; j++)
        {
          GtkTreeIter iter;
          GdkPixbuf *thumbnail;
          gchar *layer_name;
          gchar *markup;

          if (layers[j] == content_id)
            continue;

          layer_name = gimp_item_get_name (layers[j]);
          if (images[i] == content_image)
            markup = g_markup_printf_escaped (
                "<b>%s</b>\n<small>%s</small>", layer_name,
                _ ("Another layer of this image"));
          else if (candidates > 1)
            {
              gchar *which = g_strdup_printf (_ ("Layer “%s”"), layer_name);

              markup = g_markup_printf_escaped ("<b>%s</b>\n<small>%s</small>",
                                                image_name, which);
              g_free (which);
            }
          else
            markup = g_markup_printf_escaped ("<b>%s</b>\n<small>%s</small>",
                                              image_name, _ ("Open image"));

          thumbnail = gimp_drawable_get_thumbnail (layers[j], THUMBNAIL_SIZE,
                                                   THUMBNAIL_SIZE,
                                                   GIMP_PIXBUF_SMALL_CHECKS);
          if (images[i] != content_image && *first_other < 0)
            *first_other = added;
          add_row (chooser, &iter, thumbnail, markup, ST_CHOICE_LAYER,
                   layers[j], NULL, NULL);
          if (thumbnail)
            g_object_unref (thumbnail);
          g_free (markup);
          g_free (layer_name);
          added++;
        }
      g_free (layers);
      g_free (image_name);
    }
  g_free (images);

  return added;
}

static GdkPixbuf *
file_thumbnail (const gchar *path)
{
  return gdk_pixbuf_new_from_file_at_size (path, THUMBNAIL_SIZE, THUMBNAIL_SIZE,
                                           NULL);
}

static gint
add_paintings (Chooser *chooser, const gchar *plugin_dir)
{
  GPtrArray *paintings = st_paintings_load (plugin_dir);
  guint i;
  gint added = paintings->len;

  for (i = 0; i < paintings->len; i++)
    {
      const StPainting *painting = g_ptr_array_index (paintings, i);
      GtkTreeIter iter;
      GdkPixbuf *thumbnail = file_thumbnail (painting->path);
      gchar *by;
      gchar *markup;
      gchar *tooltip;

      if (painting->year[0])
        /* TRANSLATORS: a painter and a year, e.g. "Vincent van Gogh, 1889" */
        by = g_strdup_printf (_ ("%s, %s"), painting->painter, painting->year);
      else if (painting->lived[0])
        /* TRANSLATORS: a painter and the years of the painter's life, for
           a work whose year is unknown, e.g. "Utagawa Hiroshige
           (1797–1858)" */
        by = g_strdup_printf (_ ("%s (%s)"), painting->painter,
                              painting->lived);
      else
        by = g_strdup (painting->painter);
      markup = g_markup_printf_escaped ("<b>%s</b>\n<small>%s</small>",
                                        painting->title, by);
      tooltip
          = g_strdup_printf (_ ("%s (%s).  Source: %s; %s."), painting->title,
                             by, painting->source, painting->licence);
      add_row (chooser, &iter, thumbnail, markup, ST_CHOICE_PAINTING, -1,
               painting->path, tooltip);
      if (thumbnail)
        g_object_unref (thumbnail);
      g_free (tooltip);
      g_free (markup);
      g_free (by);
    }
  g_ptr_array_unref (paintings);

  return added;
}

/* A row for a file chosen with "From file...", just before that entry;
 * it replaces the file chosen before, if any. */
static void
add_file_row (Chooser *chooser, const gchar *path, GtkTreeIter *iter)
{
  GtkTreeModel *model = GTK_TREE_MODEL (chooser->store);
  GtkTreeIter from_file;
  gboolean valid;
  gchar *base = g_path_get_basename (path);
  gchar *name = g_filename_display_name (base);
  gchar *dir = g_path_get_dirname (path);
  gchar *dir_name = g_filename_display_name (dir);
  gchar *display = g_filename_display_name (path);
  gchar *markup;
  GdkPixbuf *thumbnail = file_thumbnail (path);

  for (valid = gtk_tree_model_get_iter_first (model, &from_file); valid;)
    {
      gint kind;

      gtk_tree_model_get (model, &from_file, ST_CHOOSER_COL_KIND, &kind, -1);
      if (kind == ST_CHOICE_FILE)
        valid = gtk_list_store_remove (chooser->store, &from_file);
      else if (kind == ST_CHOICE_FROM_FILE)
        break;
      else
        valid = gtk_tree_model_iter_next (model, &from_file);
    }

  markup = g_markup_printf_escaped ("<b>%s</b>\n<small>%s</small>", name,
                                    dir_name);
  gtk_list_store_insert_before (chooser->store, iter,
                                valid ? &from_file : NULL);
  gtk_list_store_set (chooser->store, iter, ST_CHOOSER_COL_PIXBUF, thumbnail,
                      ST_CHOOSER_COL_MARKUP, markup, ST_CHOOSER_COL_KIND,
                      ST_CHOICE_FILE, ST_CHOOSER_COL_DRAWABLE, -1,
                      ST_CHOOSER_COL_PATH, path, ST_CHOOSER_COL_TOOLTIP,
                      display, -1);
  if (thumbnail)
    g_object_unref (thumbnail);
  g_free (markup);
  g_free (display);
  g_free (dir_name);
  g_free (dir);
  g_free (name);
  g_free (base);
}

/* --------------------------------------------------------- choosing */

static gchar *
choose_file (Chooser *chooser)
{
  GtkWidget *dialog;
  GtkFileFilter *filter;
  gchar *path = NULL;

  dialog = gtk_file_chooser_dialog_new (
      _ ("Choose the Style Picture"), chooser->parent,
      GTK_FILE_CHOOSER_ACTION_OPEN, _ ("_Cancel"), GTK_RESPONSE_CANCEL,
      _ ("_Open"), GTK_RESPONSE_ACCEPT, NULL);
  gtk_dialog_set_alternative_button_order (
      GTK_DIALOG (dialog), GTK_RESPONSE_ACCEPT, GTK_RESPONSE_CANCEL, -1);
  gtk_dialog_set_default_response (GTK_DIALOG (dialog), GTK_RESPONSE_ACCEPT);
  gtk_widget_set_name (dialog, "st-style-file-chooser");

  filter = gtk_file_filter_new ();
  gtk_file_filter_set_name (filter, _ ("Pictures"));
  gtk_file_filter_add_pixbuf_formats (filter);
  gtk_file_filter_add_pattern (filter, "*.xcf");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), filter);
  filter = gtk_file_filter_new ();
  gtk_file_filter_set_name (filter, _ ("All files"));
  gtk_file_filter_add_pattern (filter, "*");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), filter);

  if (chooser->vals->style_file[0])
    gtk_file_chooser_set_filename (GTK_FILE_CHOOSER (dialog),
                                   chooser->vals->style_file);

  if (gtk_dialog_run (GTK_DIALOG (dialog)) == GTK_RESPONSE_ACCEPT)
    path = gtk_file_chooser_get_filename (GTK_FILE_CHOOSER (dialog));
  gtk_widget_destroy (dialog);

  if (path && strlen (path) >= sizeof chooser->vals->style_file)
    {
      g_free (path);
      path = NULL;
    }

  return path;
}

static void
combo_changed (GtkComboBox *combo, Chooser *chooser)
{
  StPluginValues *vals = chooser->vals;
  GtkTreeModel *model = GTK_TREE_MODEL (chooser->store);
  GtkTreeIter iter;
  gint kind = ST_CHOICE_SEPARATOR;
  gint drawable_id = -1;
  gchar *path = NULL;

  if (chooser->busy)
    return;

  if (gtk_combo_box_get_active_iter (combo, &iter))
    gtk_tree_model_get (model, &iter, ST_CHOOSER_COL_KIND, &kind,
                        ST_CHOOSER_COL_DRAWABLE, &drawable_id,
                        ST_CHOOSER_COL_PATH, &path, -1);

  if (kind == ST_CHOICE_FROM_FILE)
    {
      gchar *chosen;

      chooser->busy = TRUE;
      chosen = choose_file (chooser);
      if (chosen)
        {
          add_file_row (chooser, chosen, &iter);
          gtk_combo_box_set_active_iter (combo, &iter);
        }
      else
        gtk_combo_box_set_active (combo, chooser->last_active);
      chooser->busy = FALSE;
      g_free (chosen);
      g_free (path);
      /* Once more for the row now active. */
      combo_changed (combo, chooser);
      return;
    }

  vals->style_drawable = -1;
  vals->style_file[0] = '\0';
  if (kind == ST_CHOICE_LAYER)
    vals->style_drawable = drawable_id;
  else if ((kind == ST_CHOICE_PAINTING || kind == ST_CHOICE_FILE) && path)
    g_strlcpy (vals->style_file, path, sizeof vals->style_file);
  g_free (path);

  chooser->last_active = gtk_combo_box_get_active (combo);

  if (gtk_combo_box_get_active_iter (combo, &iter))
    {
      gchar *tooltip = NULL;

      gtk_tree_model_get (model, &iter, ST_CHOOSER_COL_TOOLTIP, &tooltip, -1);
      gimp_help_set_help_data (GTK_WIDGET (combo),
                               tooltip ? tooltip
                                       : _ ("The picture whose style is "
                                            "painted onto this layer."),
                               NULL);
      g_free (tooltip);
    }

  if (chooser->changed)
    chooser->changed (GTK_WIDGET (combo), chooser->data);
}

/* ----------------------------------------------------------- widget */

static gboolean
is_separator (GtkTreeModel *model, GtkTreeIter *iter, gpointer data)
{
  gint kind;

  (void)data;
  gtk_tree_model_get (model, iter, ST_CHOOSER_COL_KIND, &kind, -1);

  return kind == ST_CHOICE_SEPARATOR;
}

/* The row to start with: the last style when it is still there; else a
 * layer of another open image, else the first painting, and a layer of
 * the content's own image only when there is nothing else (after the
 * style's image was closed, Re-show would otherwise offer the earlier
 * result layer as the style). */
static gint
initial_row (Chooser *chooser, gint first_other, gint first_painting,
             gint first_layer)
{
  GtkTreeModel *model = GTK_TREE_MODEL (chooser->store);
  StPluginValues *vals = chooser->vals;
  GtkTreeIter iter;
  gboolean valid;
  gint row = 0;

  for (valid = gtk_tree_model_get_iter_first (model, &iter); valid;
       valid = gtk_tree_model_iter_next (model, &iter), row++)
    {
      gint kind, drawable_id;
      gchar *path;
      gboolean same;

      gtk_tree_model_get (model, &iter, ST_CHOOSER_COL_KIND, &kind,
                          ST_CHOOSER_COL_DRAWABLE, &drawable_id,
                          ST_CHOOSER_COL_PATH, &path, -1);
      same = (kind == ST_CHOICE_LAYER && !vals->style_file[0]
              && drawable_id == vals->style_drawable)
             || ((kind == ST_CHOICE_PAINTING || kind == ST_CHOICE_FILE) && path
                 && strcmp (path, vals->style_file) == 0);
      g_free (path);
      if (same)
        return row;
    }

  if (vals->style_file[0]
      && g_file_test (vals->style_file, G_FILE_TEST_IS_REGULAR))
    {
      add_file_row (chooser, vals->style_file, &iter);
      return gtk_tree_model_iter_n_children (model, NULL) - 2;
    }

  if (first_other >= 0)
    return first_other;
  return first_painting >= 0 ? first_painting : first_layer;
}

GtkWidget *
st_style_chooser_new (gint32 content_id, const gchar *plugin_dir,
                      StPluginValues *vals, GtkWindow *parent,
                      GCallback changed, gpointer data)
{
  Chooser *chooser = g_new0 (Chooser, 1);
  GtkWidget *combo;
  GtkCellRenderer *cell;
  GtkTreeIter iter;
  gint n_layers, n_paintings;
  gint first_layer = -1, first_other = -1, first_painting = -1, row;

  chooser->vals = vals;
  chooser->parent = parent;
  chooser->changed = (void (*) (GtkWidget *, gpointer))changed;
  chooser->data = data;
  chooser->store = gtk_list_store_new (ST_CHOOSER_N_COLS, GDK_TYPE_PIXBUF,
                                       G_TYPE_STRING, G_TYPE_INT, G_TYPE_INT,
                                       G_TYPE_STRING, G_TYPE_STRING);

  n_layers = add_open_layers (chooser, content_id, plugin_dir, &first_other);
  if (n_layers > 0)
    {
      first_layer = 0;
      add_separator (chooser);
    }
  n_paintings = add_paintings (chooser, plugin_dir);
  if (n_paintings > 0)
    {
      first_painting = n_layers > 0 ? n_layers + 1 : 0;
      add_separator (chooser);
    }
  add_row (chooser, &iter, NULL, _ ("From file…"), ST_CHOICE_FROM_FILE, -1,
           NULL, _ ("Any picture on disk, without opening it in GIMP"));

  combo = gtk_combo_box_new_with_model (GTK_TREE_MODEL (chooser->store));
  g_object_unref (chooser->store);
  g_object_set_data_full (G_OBJECT (combo), "st-chooser", chooser, g_free);
  gtk_widget_set_name (combo, "st-style");
  gtk_combo_box_set_row_separator_func (GTK_COMBO_BOX (combo), is_separator,
                                        NULL, NULL);

  cell = gtk_cell_renderer_pixbuf_new ();
  gtk_cell_renderer_set_fixed_size (cell, THUMBNAIL_SIZE + 4,
                                    THUMBNAIL_SIZE + 4);
  gtk_cell_layout_pack_start (GTK_CELL_LAYOUT (combo), cell, FALSE);
  gtk_cell_layout_set_attributes (GTK_CELL_LAYOUT (combo), cell, "pixbuf",
                                  ST_CHOOSER_COL_PIXBUF, NULL);
  /* Long titles wrap onto another line rather than lose their end
   * ("The Benzaiten Shrine at Inokashira in Snow"); a file name without
   * spaces wraps between characters. */
  cell = gtk_cell_renderer_text_new ();
  g_object_set (cell, "wrap-mode", PANGO_WRAP_WORD_CHAR, "wrap-width",
                ST_CHOOSER_TEXT_WIDTH, "ellipsize", PANGO_ELLIPSIZE_NONE, NULL);
  gtk_cell_layout_pack_start (GTK_CELL_LAYOUT (combo), cell, TRUE);
  gtk_cell_layout_set_attributes (GTK_CELL_LAYOUT (combo), cell, "markup",
                                  ST_CHOOSER_COL_MARKUP, NULL);

  row = initial_row (chooser, first_other, first_painting, first_layer);
  chooser->last_active = row;
  g_signal_connect (combo, "changed", G_CALLBACK (combo_changed), chooser);
  if (row >= 0)
    gtk_combo_box_set_active (GTK_COMBO_BOX (combo), row);
  else
    combo_changed (GTK_COMBO_BOX (combo), chooser);

  return combo;
}

gboolean
st_style_chooser_has_style (GtkWidget *chooser)
{
  Chooser *data = g_object_get_data (G_OBJECT (chooser), "st-chooser");

  return data->vals->style_drawable != -1 || data->vals->style_file[0];
}
