/* make-jpeg - writes a textured test JPEG with libjpeg, for the hostile
 * file tests (issue 20): the test suite has no other JPEG encoder it can
 * count on (PIL and PyGObject are optional), and a progressive file is
 * needed to plant a scan repeated 50,000 times.
 *
 *   make-jpeg OUT.jpg WIDTH HEIGHT [progressive|baseline [flat]]
 *
 * "flat" paints one grey: a progressive file's refinement scans are then a
 * few bytes each (end-of-block runs), as in the hostile file of issue 20.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

int
main (int argc, char **argv)
{
  struct jpeg_compress_struct c;
  struct jpeg_error_mgr err;
  JSAMPROW row;
  FILE *f;
  int w, h, flat;

  if (argc < 4)
    {
      fprintf (stderr, "usage: make-jpeg OUT.jpg WIDTH HEIGHT "
                       "[progressive|baseline [flat]]\n");
      return 2;
    }
  flat = argc > 5 && strcmp (argv[5], "flat") == 0;
  w = atoi (argv[2]);
  h = atoi (argv[3]);
  if (w <= 0 || h <= 0 || !(f = fopen (argv[1], "wb")))
    {
      perror (argv[1]);
      return 1;
    }
  c.err = jpeg_std_error (&err);
  jpeg_create_compress (&c);
  jpeg_stdio_dest (&c, f);
  c.image_width = (JDIMENSION)w;
  c.image_height = (JDIMENSION)h;
  c.input_components = 3;
  c.in_color_space = JCS_RGB;
  jpeg_set_defaults (&c);
  jpeg_set_quality (&c, 90, TRUE);
  if (argc > 4 && strcmp (argv[4], "progressive") == 0)
    jpeg_simple_progression (&c);
  jpeg_start_compress (&c, TRUE);
  row = malloc ((size_t)w * 3);
  for (int y = 0; y < h; y++)
    {
      for (int x = 0; x < w; x++)
        {
          /* stripes and a gradient: texture for a style, detail for a
           * content, and rows that differ (a grey fill would show) */
          if (flat)
            {
              row[x * 3 + 0] = row[x * 3 + 1] = row[x * 3 + 2] = 128;
              continue;
            }
          row[x * 3 + 0] = (JSAMPLE)((x * 255) / w);
          row[x * 3 + 1] = (JSAMPLE)(((x + 2 * y) % 17 < 8) ? 200 : 40);
          row[x * 3 + 2] = (JSAMPLE)((y * 255) / h);
        }
      jpeg_write_scanlines (&c, &row, 1);
    }
  jpeg_finish_compress (&c);
  jpeg_destroy_compress (&c);
  free (row);
  return fclose (f) == 0 ? 0 : 1;
}
