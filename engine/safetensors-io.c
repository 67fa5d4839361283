/* safetensors-io.c - what the three files of the .safetensors reader
 * (safetensors.c, safetensors-header.c, safetensors-tensors.c) share,
 * below them all: reading exactly n bytes at an offset, and the message
 * every check ends in.  It calls none of them, so that they call one
 * way: safetensors.c -> safetensors-header.c, safetensors-tensors.c ->
 * safetensors-io.c. */

#include "safetensors.h"

#include <errno.h>
#include <string.h>

#include <unistd.h>

/* Longest problem text in a message, in bytes (names are the file's). */
#define MESSAGE_MAX_BYTES 400

/* ------------------------------------------------------------- errors */

/* Every message starts with the file, so that a front end can show it as
 * is and the user knows which file to replace. */
void
st_safetensors_error (GError **error, int code, const char *path,
                      const char *format, ...)
{
  va_list args;
  char *problem, *display;

  va_start (args, format);
  problem = g_strdup_vprintf (format, args);
  va_end (args);
  /* Names and json-glib's messages quote the file's own bytes: a hostile
   * file must not put line breaks or terminal escapes into a message
   * that front ends print as one line. */
  for (char *c = problem; *c; c++)
    if ((guchar)*c < 0x20 || *c == 0x7f)
      *c = ' ';
  if (!g_utf8_validate (problem, -1, NULL))
    {
      char *valid = g_utf8_make_valid (problem, -1);
      g_free (problem);
      problem = valid;
    }
  /* A tensor name can be megabytes long: keep the message's start and
   * its end, which says what is wrong (issue 13). */
  if (strlen (problem) > MESSAGE_MAX_BYTES)
    {
      const char *head_end = problem + MESSAGE_MAX_BYTES * 3 / 4;
      const char *tail = problem + strlen (problem) - MESSAGE_MAX_BYTES / 4;
      char *bounded;

      while ((*head_end & 0xc0) == 0x80)
        head_end--;
      while ((*tail & 0xc0) == 0x80)
        tail++;
      bounded = g_strdup_printf ("%.*s … %s", (int)(head_end - problem),
                                 problem, tail);
      g_free (problem);
      problem = bounded;
    }
  display = g_filename_display_name (path);
  g_set_error (error, ST_ERROR, code, "%s: %s", display, problem);
  g_free (display);
  g_free (problem);
}

/* --------------------------------------------------------------- read */

/* Reads exactly n bytes at offset `at`; a short read means the file
 * shrank since it was measured. */
gboolean
st_safetensors_read_at (int fd, guint64 at, void *buffer, gsize n,
                        const char *path, GError **error)
{
  guint8 *p = buffer;

  while (n > 0)
    {
      ssize_t got = pread (fd, p, MIN (n, (gsize)1 << 30), (off_t)at);

      if (got < 0 && errno == EINTR)
        continue;
      if (got < 0)
        {
          int saved = errno;
          st_safetensors_error (error, ST_ERROR_IO, path,
                                "cannot read the file (%s)",
                                g_strerror (saved));
          return FALSE;
        }
      if (got == 0)
        {
          st_safetensors_error (
              error, ST_ERROR_IO, path,
              "the file became shorter while it was read (changed "
              "or replaced meanwhile?); try again");
          return FALSE;
        }
      p += got;
      at += (guint64)got;
      n -= (gsize)got;
    }
  return TRUE;
}
