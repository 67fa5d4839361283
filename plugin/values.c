/* values.c - the plug-in's settings: defaults, ranges, engine parameters.
 *
 * Copyright (C) 2024 the GIMP Style Transfer authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <string.h>

#include <glib/gi18n.h>

#include "values.h"

GQuark
st_plugin_error_quark (void)
{
  return g_quark_from_static_string ("st-plugin-error-quark");
}

void
st_plugin_values_init (StPluginValues *vals)
{
  memset (vals, 0, sizeof *vals);
  vals->style_drawable = -1;
  vals->strength = 50.0;
  vals->size = 0; /* the layer's own: brushwork at its resolution */
  vals->iterations = 0;
  vals->preserve_colors = FALSE;
  vals->style_scale = 1.0;
  vals->smoothness = 1.0;
  vals->seed = 0;
  vals->network[0] = '\0';
  vals->style_file[0] = '\0';
}

gboolean
st_plugin_calling_error (GError **error, const gchar *format, ...)
{
  va_list args;

  va_start (args, format);
  g_propagate_error (error,
                     g_error_new_valist (ST_PLUGIN_ERROR,
                                         GIMP_PDB_CALLING_ERROR, format, args));
  va_end (args);

  return FALSE;
}

static gboolean
in_range (gdouble value, gdouble lower, gdouble upper)
{
  /* Comparisons with NaN are false, so NaN fails here as well. */
  return isfinite (value) && value >= lower && value <= upper;
}

// clang-format off
gboolean
st_plugin_values_check (const StPluginValues *vals, GError **error)
{
  if (!in_range (vals->strength, 0.0, ST_PLUGIN_STRENGTH_MAX))
    return st_plugin_calling_error (error,
                          _ ("Strength must be a number from 0 to %g, not %g."),
                          ST_PLUGIN_STRENGTH_MAX, vals->strength);

  if (vals->size < 0 || vals->size > ST_PLUGIN_SIZE_MAX)
    return st_plugin_calling_error (error,
                          _ ("Size must be 0 (the layer's own size) or a long "
                            "side in pixels up to %d, not %d."),
                          ST_PLUGIN_SIZE_MAX, vals->size);

  if (vals->iterations < 0 || vals->iterations > ST_PLUGIN_ITERATIONS_MAX)
    return st_plugin_calling_error (error,
                          _ ("Iterations must be 0 (automatic) or from 1 to "
                            "%d, not %d."),
                          ST_PLUGIN_ITERATIONS_MAX, vals->iterations);

  if (vals->preserve_colors != FALSE && vals->preserve_colors != TRUE)
    return st_plugin_calling_error (error,
                          _ ("Preserve colors must be 0 or 1, not %d."),
                          vals->preserve_colors);

  if (!in_range (vals->style_scale, ST_PLUGIN_STYLE_SCALE_MIN,
                 ST_PLUGIN_STYLE_SCALE_MAX))
    return st_plugin_calling_error (error,
                          _ ("Style scale must be a number from %g to %g, not "
                            "%g."),
                          ST_PLUGIN_STYLE_SCALE_MIN, ST_PLUGIN_STYLE_SCALE_MAX,
                          vals->style_scale);

  if (!in_range (vals->smoothness, 0.0, ST_PLUGIN_SMOOTHNESS_MAX))
    return st_plugin_calling_error (error,
                          _ ("Smoothness must be a number from 0 to %g, not "
                            "%g."),
                          ST_PLUGIN_SMOOTHNESS_MAX, vals->smoothness);

  if (memchr (vals->network, '\0', sizeof vals->network) == NULL)
    return st_plugin_calling_error (error, _ ("The network name is not terminated."));

  if (memchr (vals->style_file, '\0', sizeof vals->style_file) == NULL)
    return st_plugin_calling_error (error, _ ("The style file name is not terminated."));

  return TRUE;
}
// clang-format on

void
st_plugin_params_from_values (const StPluginValues *vals, gint width,
                              gint height, StParams *params)
{
  st_params_init (params);
  params->strength = vals->strength;
  params->iterations = vals->iterations;
  params->preserve_colors = vals->preserve_colors;
  params->style_scale = vals->style_scale;
  /* The user's smoothness is a multiple of the engine's default total
   * variation weight: 1 is the default, 0 no smoothing, 2 twice as smooth. */
  params->tv_weight = vals->smoothness * ST_DEFAULT_TV_WEIGHT;
  params->seed = (guint32)vals->seed;
  params->size = MIN (vals->size, MAX (width, height));
}

/* ---------------------------------------------- the engine's messages */

gchar *
st_plugin_sentence (const gchar *message)
{
  GString *text;
  gunichar first;
  gsize length;

  if (!message || !message[0])
    return g_strdup ("");

  text = g_string_new (NULL);
  first = g_utf8_get_char (message);
  g_string_append_unichar (text, g_unichar_toupper (first));
  g_string_append (text, g_utf8_next_char (message));

  length = text->len;
  if (!strchr (".!?…:", text->str[length - 1])
      && !g_str_has_suffix (text->str, "…"))
    g_string_append_c (text, '.');

  return g_string_free (text, FALSE);
}

gchar *
st_plugin_install_hint (void)
{
  const gchar *hint = st_network_install_hint ();
  const gchar *note = strstr (hint, " (in a source tree: ");
  gchar *installed;
  gchar *command;
  gchar *source;
  gchar *text;

  installed
      = g_build_filename (ST_BINDIR, "gimp-style-transfer-fetch-vgg19", NULL);
  if (g_file_test (installed, G_FILE_TEST_IS_EXECUTABLE))
    return installed;
  g_free (installed);

  /* "command (in a source tree: path)": the note is translated here, the
   * engine having no translations. */
  if (!note || !g_str_has_suffix (hint, ")"))
    return g_strdup (hint);

  command = g_strndup (hint, note - hint);
  note += strlen (" (in a source tree: ");
  source = g_strndup (note, strlen (note) - 1);
  /* TRANSLATORS: the command that installs the VGG19 weights, then the
     one to run in a source tree that was built but not installed */
  text = g_strdup_printf (_ ("%s (in a source tree: %s)"), command, source);
  g_free (source);
  g_free (command);

  return text;
}

gchar *
st_plugin_engine_message (const GError *engine_error)
{
  return st_plugin_sentence (engine_error ? engine_error->message : "");
}

gchar *
st_plugin_network_message (const GError *engine_error, const gchar *network)
{
  if (engine_error && engine_error->domain == ST_ERROR
      && engine_error->code == ST_ERROR_NOT_FOUND
      && st_network_choice (network) == ST_NETWORK_VGG19)
    {
      gchar *hint = st_plugin_install_hint ();
      gchar *text = g_strdup_printf (
          _ ("VGG19 weights are not installed.  Install them with %s, or "
             "choose the built-in network."),
          hint);

      g_free (hint);
      return text;
    }

  return st_plugin_engine_message (engine_error);
}

gchar *
st_plugin_format_duration (gdouble seconds)
{
  gint s = (gint)ceil (CLAMP (seconds, 0.0, 360000.0));

  if (s < 60)
    return g_strdup_printf (_ ("%d s"), MAX (s, 1));
  if (s < 3600)
    return g_strdup_printf (_ ("%d min %d s"), s / 60, s % 60);
  return g_strdup_printf (_ ("%d h %d min"), s / 3600, (s % 3600) / 60);
}
