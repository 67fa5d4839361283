/* test-images.h - the pictures the repository carries for tests
 * (tests/images, see its SOURCES.md), read at a given width. */
#ifndef ST_TEST_IMAGES_H
#define ST_TEST_IMAGES_H

#include "style-transfer.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <stdio.h>
#include <stdlib.h>

/* The path of tests/images/name, from the folder in $ST_TEST_IMAGES
 * (meson sets it); g_free it. */
static inline char *
test_image_path (const char *name)
{
  const char *dir = g_getenv ("ST_TEST_IMAGES");
  return g_build_filename (dir ? dir : "tests/images", name, NULL);
}

/* A pixbuf's RGB as an image in [0, 1]. */
static inline StImage *
image_from_pixbuf (GdkPixbuf *pb)
{
  int w = gdk_pixbuf_get_width (pb), h = gdk_pixbuf_get_height (pb);
  int stride = gdk_pixbuf_get_rowstride (pb);
  int nc = gdk_pixbuf_get_n_channels (pb);
  const guchar *px = gdk_pixbuf_get_pixels (pb);
  StImage *im = st_image_new (w, h);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      for (int c = 0; c < 3; c++)
        im->pixels[((size_t)y * w + x) * 3 + c]
            = px[(size_t)y * stride + (size_t)x * nc + c] / 255.0f;
  return im;
}

/* tests/images/name scaled to width px (aspect kept); exits when it
 * cannot be read. */
static inline StImage *
load_test_image (const char *name, int width)
{
  char *path = test_image_path (name);
  GError *error = NULL;
  GdkPixbuf *pb
      = gdk_pixbuf_new_from_file_at_scale (path, width, -1, TRUE, &error);
  StImage *im;
  if (!pb)
    {
      fprintf (stderr, "cannot read %s: %s\n", path, error->message);
      exit (1);
    }
  im = image_from_pixbuf (pb);
  g_object_unref (pb);
  g_free (path);
  return im;
}

#endif
