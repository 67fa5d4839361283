/* measure-peak.c - the memory estimate against the measured peak.
 *
 * For each long side given, in a fresh child process (so that peaks do
 * not carry over): st_estimate's peak_bytes, then one st_transfer with
 * the embedded network at that size, then the process's peak resident
 * set (getrusage ru_maxrss).  One scale, at the result's size, and more
 * iterations than the L-BFGS history, so that every buffer the estimate
 * counts has been touched (untouched calloc pages are not resident).
 * Fails when a measured peak is outside estimate +-25 %.
 *
 * Usage: measure-peak SIZE...   (prints one line per size) */
#include "style-transfer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define TOLERANCE 0.25

static StImage *
pattern (int w, int h, int k)
{
  StImage *image = st_image_new (w, h);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      for (int c = 0; c < 3; c++)
        image->pixels[((size_t)y * w + x) * 3 + c]
            = 0.5f + 0.4f * sinf ((float)(x * (c + 1) + y * k) * 0.05f);
  return image;
}

static int
measure (int side)
{
  StContext *engine = st_context_new (0);
  StNetwork *net = st_network_new_embedded ();
  StImage *content = pattern (side, side * 3 / 4, 1);
  StImage *style = pattern (256, 256, 7), *out = NULL;
  const StImage *styles[] = { style };
  StParams p;
  StEstimate e;
  GError *error = NULL;
  struct rusage ru;
  double measured, ratio;

  st_params_init (&p);
  p.size = side;
  p.scales = 1;
  p.history = 5;
  p.iterations = 8;
  p.threads = 1;
  if (st_estimate (engine, net, content->width, content->height, &p, &e, &error)
          != ST_OK
      || st_transfer (engine, net, content, styles, 1, &p, NULL, NULL, NULL,
                      &out, &error)
             != ST_OK)
    {
      fprintf (stderr, "size %d: %s\n", side, error->message);
      return 2;
    }
  getrusage (RUSAGE_SELF, &ru);
  measured = ru.ru_maxrss * 1024.0;
  ratio = measured / (double)e.peak_bytes;
  printf ("size %4d (%d x %d): estimate %6.1f MiB, measured peak RSS "
          "%6.1f MiB, measured/estimate %.2f%s\n",
          side, e.width, e.height, e.peak_bytes / 1048576.0,
          measured / 1048576.0, ratio,
          fabs (ratio - 1) <= TOLERANCE ? "" : "  OUTSIDE +-25 %");
  st_image_free (out);
  st_image_free (content);
  st_image_free (style);
  st_network_free (net);
  st_context_free (engine);
  return fabs (ratio - 1) <= TOLERANCE ? 0 : 1;
}

int
main (int argc, char **argv)
{
  int failed = 0;
  for (int i = 1; i < argc; i++)
    {
      pid_t pid;
      int status;
      fflush (stdout);
      if ((pid = fork ()) == 0)
        {
          int rc = measure (atoi (argv[i]));
          fflush (stdout);
          _exit (rc);
        }
      if (pid < 0 || waitpid (pid, &status, 0) != pid || !WIFEXITED (status)
          || WEXITSTATUS (status) != 0)
        failed = 1;
    }
  return failed;
}
