/* fuzz-safetensors.c - the VGG19 safetensors reader on hostile bytes.
 *
 * The reader takes a path, so each input is written to a memfd and read
 * through /proc/self/fd/N (no disk traffic, nothing left behind).
 *
 * Two shapes of input, so that the fuzzer reaches past the length check:
 *   - anything not starting with '{' is the whole file, as is;
 *   - an input starting with '{' is a JSON header up to its last '}' and
 *     data after it; the harness writes the 8-byte length in front.
 * The reader must refuse or accept every input without crashing, leaking
 * or touching bytes outside the file; when it accepts, every weight it
 * hands out must be finite and inside the file or its own copy. */
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static int fd = -1;
static char path[64];

static void
write_all (const uint8_t *p, size_t n, off_t at)
{
  while (n > 0)
    {
      ssize_t w = pwrite (fd, p, n, at);
      if (w <= 0)
        abort ();
      p += w, n -= (size_t)w, at += w;
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  GError *error = NULL;
  StVgg19Weights *weights;
  StNetwork *net;
  size_t header = size;

  if (fd < 0)
    {
      fd = memfd_create ("fuzz.safetensors", 0);
      if (fd < 0)
        abort ();
      snprintf (path, sizeof path, "/proc/self/fd/%d", fd);
    }
  if (ftruncate (fd, 0) != 0)
    abort ();
  if (size > 0 && data[0] == '{')
    {
      uint8_t le[8];
      while (header > 1 && data[header - 1] != '}')
        header--;
      for (int i = 0; i < 8; i++)
        le[i] = (uint8_t)((uint64_t)header >> (8 * i));
      write_all (le, 8, 0);
      write_all (data, size, 8);
    }
  else
    write_all (data, size, 0);

  weights = st_vgg19_weights_load (path, &error);
  if (weights)
    {
      for (int i = 0; i < ST_VGG19_N_CONV; i++)
        {
          size_t n = (size_t)weights->c_out[i] * weights->c_in[i] * 9;
          for (size_t j = 0; j < n; j++)
            if (!isfinite (weights->weight[i][j]))
              abort ();
          for (int j = 0; j < weights->c_out[i]; j++)
            if (!isfinite (weights->bias[i][j]))
              abort ();
        }
      st_vgg19_weights_free (weights);
    }
  else if (!error || !error->message || !*error->message
           || strchr (error->message, '\n'))
    abort (); /* refused without a one-line message */
  g_clear_error (&error);

  /* The same file through the network loader the front ends use. */
  net = st_network_load_vgg19 (path, &error);
  if (!net && !error)
    abort ();
  st_network_free (net);
  g_clear_error (&error);
  return 0;
}
