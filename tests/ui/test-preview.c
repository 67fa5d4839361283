/* test-preview.c - the live preview's worker without GIMP or GTK: frames
 * reach the main loop, a stop cancels and joins at once, restarts in quick
 * succession leave one run, and nothing of a stopped run arrives later.
 * Small enough to run under the sanitizers.
 *
 * Copyright (C) 2024 the GIMP Style Transfer authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>

#include "preview-view.h"
#include "preview.h"

typedef struct
{
  gint frames;
  gint done;
  gint failed;
  gint late; /* events after a stop: must stay 0 */
  gboolean stopped;
} Counts;

/* The engine's state for this test, as the dialog has it. */
static StContext *engine;

static void
on_event (StPreviewEvent event, const StImage *image,
          const StProgress *progress, const gchar *message, gpointer user_data)
{
  Counts *counts = user_data;

  (void)progress;
  if (counts->stopped)
    counts->late++;

  switch (event)
    {
    case ST_PREVIEW_FRAME:
      g_assert_nonnull (image);
      counts->frames++;
      break;
    case ST_PREVIEW_DONE:
      g_assert_nonnull (image);
      counts->done++;
      break;
    case ST_PREVIEW_FAILED:
      g_printerr ("preview failed: %s\n", message);
      counts->failed++;
      break;
    }
}

static StImage *
pattern (gint width, gint height, gint period)
{
  StImage *image = st_image_new (width, height);
  gint x, y;

  for (y = 0; y < height; y++)
    for (x = 0; x < width; x++)
      {
        gfloat *p = image->pixels + ((gsize)y * width + x) * 3;

        p[0] = 0.5f + 0.5f * sinf ((gfloat)x / period);
        p[1] = 0.5f + 0.5f * cosf ((gfloat)y / period);
        p[2] = (gfloat)((x / period + y / period) % 2);
      }
  return image;
}

static void
iterate_until (gboolean (*done) (Counts *), Counts *counts, gdouble seconds)
{
  gint64 until = g_get_monotonic_time () + (gint64)(seconds * 1e6);

  while (!done (counts) && g_get_monotonic_time () < until)
    {
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (2000);
    }
}

static gboolean
has_frame (Counts *counts)
{
  return counts->frames > 0;
}

static gboolean
has_end (Counts *counts)
{
  return counts->done > 0 || counts->failed > 0;
}

static void
setup (StNetwork **network, StImage **content, StImage **style,
       StParams *params)
{
  *network = st_network_new_embedded ();
  *content = pattern (96, 64, 5);
  *style = pattern (128, 128, 2);
  st_params_init (params);
  params->size = 96;
  params->iterations = 400;
  params->threads = 1;
}

static void
test_frames_then_done (void)
{
  StNetwork *network;
  StImage *content, *style;
  StParams params;
  Counts counts = { 0 };
  StPreviewRunner *runner = st_preview_runner_new (engine, on_event, &counts);

  setup (&network, &content, &style, &params);
  params.iterations = 20;
  st_preview_runner_start (runner, network, content, style, &params);
  iterate_until (has_end, &counts, 120.0);
  g_assert_cmpint (counts.failed, ==, 0);
  g_assert_cmpint (counts.done, ==, 1);
  g_assert_false (st_preview_runner_is_running (runner));

  st_preview_runner_free (runner);
  st_image_free (content);
  st_image_free (style);
  st_network_free (network);
}

static void
test_stop_is_immediate (void)
{
  StNetwork *network;
  StImage *content, *style;
  StParams params;
  Counts counts = { 0 };
  StPreviewRunner *runner = st_preview_runner_new (engine, on_event, &counts);
  gint64 t0;
  gint i;

  setup (&network, &content, &style, &params);

  /* Restarts in quick succession, as when a slider is dragged. */
  for (i = 0; i < 5; i++)
    st_preview_runner_start (runner, network, content, style, &params);

  iterate_until (has_frame, &counts, 60.0);
  g_assert_cmpint (counts.frames, >, 0);
  g_assert_true (st_preview_runner_is_running (runner));

  t0 = g_get_monotonic_time ();
  st_preview_runner_stop (runner);
  g_test_message ("stop took %.0f ms", (g_get_monotonic_time () - t0) / 1000.0);
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 2 * G_USEC_PER_SEC);
  g_assert_false (st_preview_runner_is_running (runner));

  /* Frames queued before the stop are dropped, not delivered. */
  counts.stopped = TRUE;
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpint (counts.late, ==, 0);
  g_assert_cmpint (counts.done, ==, 0);

  /* Freed while running: joins too. */
  counts.stopped = FALSE;
  st_preview_runner_start (runner, network, content, style, &params);
  st_preview_runner_free (runner);
  counts.stopped = TRUE;
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpint (counts.late, ==, 0);

  st_image_free (content);
  st_image_free (style);
  st_network_free (network);
}

/* Zoom and pan of the preview's area over a 1024 x 768 layer in an area
 * of long side 192: 192, 384, 768, then the layer's own 1024 px. */
static void
test_view_zoom_and_pan (void)
{
  StPreviewView view;
  StLayerRect rect;

  st_preview_view_init (&view, 1024, 768, 192);
  g_assert_cmpint (view.area_width, ==, 192);
  g_assert_cmpint (view.area_height, ==, 144);
  g_assert_cmpint (view.n_zooms, ==, 4);
  g_assert_cmpint (st_preview_view_percent (&view), ==, 19);
  st_preview_view_rect (&view, &rect);
  g_assert_cmpint (rect.x, ==, 0);
  g_assert_cmpint (rect.width, ==, 1024);
  g_assert_cmpint (rect.height, ==, 768);

  /* Zoom 1 about the centre: the middle half of the layer. */
  st_preview_view_set_zoom (&view, 1, 0.5, 0.5);
  g_assert_cmpint (view.width, ==, 384);
  g_assert_cmpint (view.x, ==, 96);
  g_assert_cmpint (view.y, ==, 72);
  st_preview_view_rect (&view, &rect);
  g_assert_cmpint (rect.x, ==, 256);
  g_assert_cmpint (rect.y, ==, 192);
  g_assert_cmpint (rect.width, ==, 512);
  g_assert_cmpint (rect.height, ==, 384);

  /* Panning stays on the layer. */
  st_preview_view_move_to (&view, -50, 10000);
  g_assert_cmpint (view.x, ==, 0);
  g_assert_cmpint (view.y, ==, 288 - 144);

  /* The last zoom is 100 %: the area shows the layer's own pixels; the
   * bottom left corner stays where it was. */
  st_preview_view_set_zoom (&view, 99, 0.0, 1.0);
  g_assert_cmpint (view.zoom, ==, 3);
  g_assert_cmpint (st_preview_view_percent (&view), ==, 100);
  st_preview_view_rect (&view, &rect);
  g_assert_cmpint (rect.width, ==, 192);
  g_assert_cmpint (rect.height, ==, 144);
  g_assert_cmpint (rect.x, ==, 0);
  g_assert_cmpint (rect.y + rect.height, ==, 768);

  /* Out again, about the top left corner. */
  st_preview_view_set_zoom (&view, 0, 0.0, 0.0);
  g_assert_cmpint (view.x, ==, 0);
  g_assert_cmpint (view.y, ==, 0);
  g_assert_cmpint (view.width, ==, 192);

  /* A layer that fits the area is not zoomed. */
  st_preview_view_init (&view, 150, 100, 192);
  g_assert_cmpint (view.n_zooms, ==, 1);
  g_assert_cmpint (view.area_width, ==, 150);
  g_assert_cmpint (st_preview_view_percent (&view), ==, 100);
  st_preview_view_set_zoom (&view, 1, 0.5, 0.5);
  g_assert_cmpint (view.zoom, ==, 0);

  /* Just larger: 192, then the layer's 200. */
  st_preview_view_init (&view, 200, 150, 192);
  g_assert_cmpint (view.n_zooms, ==, 2);
}

int
main (int argc, char **argv)
{
  int status;
  g_test_init (&argc, &argv, NULL);
  engine = st_context_new (0);
  g_test_add_func ("/preview/frames-then-done", test_frames_then_done);
  g_test_add_func ("/preview/stop-is-immediate", test_stop_is_immediate);
  g_test_add_func ("/preview/view-zoom-and-pan", test_view_zoom_and_pan);
  status = g_test_run ();
  st_context_free (engine);
  return status;
}
