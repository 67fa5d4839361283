/* dump-features.c - the engine's VGG19 features, for a Python reference.
 *
 *   dump-features WEIGHTS IMAGE WIDTH HEIGHT max|average OUT
 *
 * IMAGE holds (3, HEIGHT, WIDTH) little-endian float32, RGB in [0, 1].
 * OUT gets, for the file the Python test reads back:
 *   int32 count, then per loss layer: char name[16], int32 c, h, w,
 *   int32 flags (1 style, 2 content), float32 data (c, h, w).
 */

#include "internal.h"

#include <stdio.h>
#include <stdlib.h>

static int
fail (const char *message)
{
  fprintf (stderr, "dump-features: %s\n", message);
  return 1;
}

int
main (int argc, char **argv)
{
  GError *error = NULL;
  StNetwork *network;
  StFeature *features;
  StPooling pooling;
  char *image = NULL;
  gsize image_size;
  int width, height, n = 0;
  FILE *out;

  if (argc != 7)
    return fail ("usage: dump-features WEIGHTS IMAGE WIDTH HEIGHT "
                 "max|average OUT");
  width = atoi (argv[3]);
  height = atoi (argv[4]);
  if (g_strcmp0 (argv[5], "max") == 0)
    pooling = ST_POOLING_MAX;
  else if (g_strcmp0 (argv[5], "average") == 0)
    pooling = ST_POOLING_AVERAGE;
  else
    return fail ("pooling must be max or average");

  network = st_network_load_vgg19 (argv[1], &error);
  if (network == NULL)
    {
      fail (error->message);
      g_error_free (error);
      return 1;
    }
  if (!g_file_get_contents (argv[2], &image, &image_size, &error))
    {
      fail (error->message);
      g_error_free (error);
      st_network_free (network);
      return 1;
    }
  if (width <= 0 || height <= 0
      || image_size != (gsize)3 * width * height * sizeof (float))
    {
      g_free (image);
      st_network_free (network);
      return fail ("the image file does not hold 3 x HEIGHT x WIDTH floats");
    }

  features = st_network_features (network, (const float *)(void *)image, width,
                                  height, pooling, &n);
  g_free (image);
  if (features == NULL || n == 0)
    {
      st_network_free (network);
      return fail ("st_network_features returned nothing");
    }

  out = fopen (argv[6], "wb");
  if (out == NULL)
    {
      st_features_free (features, n);
      st_network_free (network);
      return fail ("cannot write the output file");
    }
  fwrite (&n, sizeof n, 1, out);
  for (int i = 0; i < n; i++)
    {
      const StFeature *f = &features[i];
      gint32 header[4]
          = { f->c, f->h, f->w, (f->style ? 1 : 0) | (f->content ? 2 : 0) };

      fwrite (f->name, sizeof f->name, 1, out);
      fwrite (header, sizeof header, 1, out);
      fwrite (f->data, sizeof (float), (size_t)f->c * f->h * f->w, out);
    }
  if (fclose (out) != 0)
    {
      st_features_free (features, n);
      st_network_free (network);
      return fail ("writing the output file failed");
    }
  st_features_free (features, n);
  st_network_free (network);
  return 0;
}
