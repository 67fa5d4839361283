/* The dialog's two engine users at once (issue 21): its preview paints
 * in a worker thread with one thread of its own while GIMP's main thread
 * asks for estimates with all cores, both through the dialog's one
 * context (its calibrations shared under its lock).  Built against a copy of
 * the engine compiled with ThreadSanitizer (tests/engine/meson.build), which
 * reports any data race between the two and fails the test; the preview must
 * also paint the same pixels as when it runs alone (the estimates may not
 * change its thread count or its scratch sizes). */
#include "check.h"
#include "style-transfer.h"

#include "test-images.h"

typedef struct
{
  StContext *engine; /* the one both use, as the dialog's */
  const StNetwork *net;
  const StImage *content;
  const StImage *style;
  StImage *result;
  StStatus status;
  gint done; /* set (atomically) when the preview's run has returned */
} Preview;

static void
preview_params (StParams *p)
{
  st_params_init (p);
  p->iterations = 6;
  p->threads = 1; /* the preview leaves the other core to GIMP */
  p->memory_budget = (size_t)512 << 20;
}

static gpointer
preview_run (gpointer data)
{
  Preview *pv = data;
  StParams p;
  const StImage *styles[1] = { pv->style };
  preview_params (&p);
  pv->status = st_transfer (pv->engine, pv->net, pv->content, styles, 1, &p,
                            NULL, NULL, NULL, &pv->result, NULL);
  g_atomic_int_set (&pv->done, 1);
  return NULL;
}

int
main (void)
{
  StContext *engine = st_context_new (2); /* the dialog's: all cores */
  StNetwork *net = st_network_new_embedded ();
  StImage *content = load_test_image ("tubingen.jpg", 96);
  StImage *style = load_test_image ("starry_night.jpg", 96);
  const StImage *styles[1] = { style };
  Preview pv = { engine, net, content, style, NULL, ST_OK, 0 };
  StImage *alone = NULL;
  StParams p;
  GThread *worker;
  int estimates = 0;
  double max_diff = 0.0;

  /* estimates as the dialog makes them: all cores, the photo's size */
  worker = g_thread_new ("preview", preview_run, &pv);
  while (!g_atomic_int_get (&pv.done) || estimates < 3)
    {
      StEstimate e;
      st_params_init (&p);
      p.threads = 0; /* the context's */
      p.memory_budget = (size_t)256 << 20;
      CHECK (st_estimate (engine, net, 1920, 1080, &p, &e, NULL) == ST_OK,
             "an estimate beside the preview failed");
      estimates++;
    }
  g_thread_join (worker);
  printf ("  %d estimates while the preview painted\n", estimates);
  CHECK (pv.status == ST_OK && pv.result, "the preview beside estimates: %d",
         pv.status);

  /* the same preview alone */
  preview_params (&p);
  CHECK (st_transfer (engine, net, content, styles, 1, &p, NULL, NULL, NULL,
                      &alone, NULL)
             == ST_OK,
         "the preview alone failed");
  if (pv.result && alone)
    {
      for (size_t i = 0; i < (size_t)alone->width * alone->height * 3; i++)
        max_diff
            = MAX (max_diff, fabs (alone->pixels[i] - pv.result->pixels[i]));
      printf ("  beside estimates and alone: largest difference %g\n",
              max_diff);
      CHECK (max_diff <= 1e-6, "the estimates changed the preview: %g",
             max_diff);
    }
  st_image_free (alone);
  st_image_free (pv.result);
  st_image_free (content);
  st_image_free (style);
  st_network_free (net);
  st_context_free (engine);
  return check_report ("concurrent");
}
