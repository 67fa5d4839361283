/* test-images.h - the pictures the repository carries for tests
 * (tests/images, see its SOURCES.md), read at a given width. */
#ifndef ST_TEST_IMAGES_H
#define ST_TEST_IMAGES_H

#include "style-transfer.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <stdio.h>
#include <stdlib.h>

/* tests/images/name scaled to width px (aspect kept), from the folder in
 * $ST_TEST_IMAGES (meson sets it); exits when it cannot be read. */
static inline StImage *
load_test_image (const char *name, int width)
{
  const char *dir = g_getenv ("ST_TEST_IMAGES");
  char *path = g_build_filename (dir ? dir : "tests/images", name, NULL);
  GError *error = NULL;
  GdkPixbuf *pb
      = gdk_pixbuf_new_from_file_at_scale (path, width, -1, TRUE, &error);
  StImage *im;
  if (!pb)
    {
      fprintf (stderr, "cannot read %s: %s\n", path, error->message);
      exit (1);
    }
  im = st_image_new (gdk_pixbuf_get_width (pb), gdk_pixbuf_get_height (pb));
  for (int y = 0; y < im->height; y++)
    for (int x = 0; x < im->width; x++)
      for (int c = 0; c < 3; c++)
        im->pixels[((size_t)y * im->width + x) * 3 + c]
            = gdk_pixbuf_get_pixels (
                  pb)[(size_t)y * gdk_pixbuf_get_rowstride (pb)
                      + (size_t)x * gdk_pixbuf_get_n_channels (pb) + c]
              / 255.0f;
  g_object_unref (pb);
  g_free (path);
  return im;
}

#endif
