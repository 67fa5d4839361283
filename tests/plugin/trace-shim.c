/* trace-shim.c - an LD_PRELOAD library for the plug-in's GIMP tests.
 *
 * GIMP 2.10 has no PDB procedure that undoes, so the test checks the undo
 * group from the plug-in's side: this library records, in the file named
 * by $ST_TRACE_FILE, every libgimp call through which the plug-in changes
 * an image, in order, so that the test can see that all of them sit inside
 * one undo group, and the progress texts it shows.
 *
 * It also answers the settings dialog, which a headless test cannot click:
 * gimp_dialog_run () shows the dialog for a moment and returns the next
 * response from $ST_TRACE_DIALOG ("ok,cancel,..."), one per dialog.
 *
 * And it tells a test when the run is in its optimisation (first progress
 * text): $ST_TRACE_RUNNING_FIFO gets the plug-in's process id.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libgimp/gimp.h>
#include <libgimp/gimpui.h>

#define REAL(name)                                                             \
  static __typeof__ (name) *real_##name;                                       \
  if (!real_##name)                                                            \
  *(void **)(&real_##name) = dlsym (RTLD_NEXT, #name)

static void trace (const char *format, ...) G_GNUC_PRINTF (1, 2);

static void
trace (const char *format, ...)
{
  const char *path = getenv ("ST_TRACE_FILE");
  FILE *file;
  va_list args;

  if (!path || !(file = fopen (path, "a")))
    return;

  fprintf (file, "%d ", (int)getpid ());
  va_start (args, format);
  vfprintf (file, format, args);
  va_end (args);
  fputc ('\n', file);
  fclose (file);
}

gboolean
gimp_image_undo_group_start (gint32 image_ID)
{
  REAL (gimp_image_undo_group_start);
  trace ("undo-group-start %d", image_ID);
  return real_gimp_image_undo_group_start (image_ID);
}

gboolean
gimp_image_undo_group_end (gint32 image_ID)
{
  REAL (gimp_image_undo_group_end);
  trace ("undo-group-end %d", image_ID);
  return real_gimp_image_undo_group_end (image_ID);
}

gint32
gimp_layer_new (gint32 image_ID, const gchar *name, gint width, gint height,
                GimpImageType type, gdouble opacity, GimpLayerMode mode)
{
  gint32 layer;

  REAL (gimp_layer_new);
  layer = real_gimp_layer_new (image_ID, name, width, height, type, opacity,
                               mode);
  trace ("layer-new %d -> %d", image_ID, layer);
  return layer;
}

gboolean
gimp_image_insert_layer (gint32 image_ID, gint32 layer_ID, gint32 parent_ID,
                         gint position)
{
  REAL (gimp_image_insert_layer);
  trace ("insert-layer %d %d parent=%d position=%d", image_ID, layer_ID,
         parent_ID, position);
  return real_gimp_image_insert_layer (image_ID, layer_ID, parent_ID, position);
}

gboolean
gimp_layer_set_offsets (gint32 layer_ID, gint offx, gint offy)
{
  REAL (gimp_layer_set_offsets);
  trace ("set-offsets %d", layer_ID);
  return real_gimp_layer_set_offsets (layer_ID, offx, offy);
}

gboolean
gimp_layer_add_mask (gint32 layer_ID, gint32 mask_ID)
{
  REAL (gimp_layer_add_mask);
  trace ("add-mask %d", layer_ID);
  return real_gimp_layer_add_mask (layer_ID, mask_ID);
}

gboolean
gimp_image_set_active_layer (gint32 image_ID, gint32 active_layer_ID)
{
  REAL (gimp_image_set_active_layer);
  trace ("set-active-layer %d", image_ID);
  return real_gimp_image_set_active_layer (image_ID, active_layer_ID);
}

gboolean
gimp_item_delete (gint32 item_ID)
{
  REAL (gimp_item_delete);
  trace ("item-delete %d", item_ID);
  return real_gimp_item_delete (item_ID);
}

gboolean
gimp_drawable_merge_shadow (gint32 drawable_ID, gboolean undo)
{
  REAL (gimp_drawable_merge_shadow);
  trace ("merge-shadow %d", drawable_ID);
  return real_gimp_drawable_merge_shadow (drawable_ID, undo);
}

gboolean
gimp_progress_set_text (const gchar *message)
{
  REAL (gimp_progress_set_text);
  trace ("progress %s", message ? message : "");
  return real_gimp_progress_set_text (message);
}

/* The plug-in's progress callback is the only caller of
 * gimp_progress_set_text_printf, from the first iteration on: the run is
 * then in the optimisation.  With $ST_TRACE_RUNNING_FIFO set, the first
 * call writes this process's id there, so that a test can kill the
 * plug-in mid-run on that event rather than after a guessed delay. */
static void
announce_running (void)
{
  static gboolean done;
  const char *fifo = getenv ("ST_TRACE_RUNNING_FIFO");
  char line[32];
  int fd, n;

  if (done || !fifo)
    return;
  done = TRUE;
  /* the test holds the reading end open: this does not block */
  fd = open (fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return;
  n = snprintf (line, sizeof line, "%d\n", (int)getpid ());
  if (write (fd, line, (size_t)n) != n)
    perror ("trace-shim: ST_TRACE_RUNNING_FIFO");
  close (fd);
}

gboolean
gimp_progress_set_text_printf (const gchar *format, ...)
{
  va_list args;
  gchar *text;
  gboolean ok;

  announce_running ();
  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);

  ok = gimp_progress_set_text (text);
  g_free (text);

  return ok;
}

/* Dialogs seen so far by every plug-in process of this test: plug-ins are
 * new processes, so the trace file counts for them. */
static gint
dialogs_so_far (void)
{
  const char *path = getenv ("ST_TRACE_FILE");
  gchar *text = NULL;
  gchar *p;
  gint n = 0;

  if (!path || !g_file_get_contents (path, &text, NULL, NULL))
    return 0;
  for (p = text; (p = strstr (p, " dialog ")) != NULL; p++)
    n++;
  g_free (text);

  return n;
}

/* The n-th word of $ST_TRACE_DIALOG for the n-th dialog: "ok", "cancel",
 * or "ok-close:N", which closes image N (the style's, say) while the
 * dialog is open and then answers OK.  Returns a copy of the word. */
static gchar *
next_word (void)
{
  const char *list = getenv ("ST_TRACE_DIALOG");
  gint n = dialogs_so_far ();
  gchar **words;
  gchar *word;

  if (!list)
    return g_strdup ("cancel");

  words = g_strsplit (list, ",", -1);
  word = g_strdup (n < (gint)g_strv_length (words) ? words[n] : "cancel");
  g_strfreev (words);

  return word;
}

gint
gimp_dialog_run (GimpDialog *dialog)
{
  gint64 until = g_get_monotonic_time () + 300000;
  gchar *word;
  gint response = GTK_RESPONSE_CANCEL;

  /* Let the dialog map and lay out, so that building it is tested fully. */
  gtk_widget_show (GTK_WIDGET (dialog));
  while (g_get_monotonic_time () < until)
    {
      while (gtk_events_pending ())
        gtk_main_iteration ();
      g_usleep (10000);
    }

  word = next_word ();
  if (g_str_has_prefix (word, "ok-close:"))
    {
      gimp_image_delete (atoi (word + strlen ("ok-close:")));
      response = GTK_RESPONSE_OK;
    }
  else if (strcmp (word, "ok") == 0)
    {
      response = GTK_RESPONSE_OK;
    }
  trace ("dialog %s mapped=%d", word,
         gtk_widget_get_mapped (GTK_WIDGET (dialog)));
  g_free (word);

  return response;
}
