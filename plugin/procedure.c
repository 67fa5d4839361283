/* procedure.c - the GIMP 2.10 plug-in "Filters > Artistic > Style
 * Transfer...": registration, run modes and last values.  (Its binary is
 * still called style-transfer: GIMP and scripts know it by that name.)
 *
 * Copyright (C) 2024 the GIMP Style Transfer authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>
#include <unistd.h>

#include <gtk/gtk.h>
#include <libgimp/gimp.h>

#include "plugin.h"
#include "style.h"
#include "ui/dialog.h"

static void query (void);
static void run (const gchar *name, gint nparams, const GimpParam *param,
                 gint *nreturn_vals, GimpParam **return_vals);

const GimpPlugInInfo PLUG_IN_INFO = {
  NULL,  /* init_proc  */
  NULL,  /* quit_proc  */
  query, /* query_proc */
  run,   /* run_proc   */
};

#define N_PARAMS 12

static gchar *plugin_directory = NULL;
/* Set when a run failed for lack of memory: main () then ends the process
 * without the exit handlers (see there). */
static gboolean st_plugin_out_of_memory = FALSE;
/* The translations: beside the plug-in in a per-user install
 * (plugin_directory/locale), else the system's LOCALEDIR. */
static gchar *plugin_localedir = NULL;

int
main (int argc, char **argv)
{
  gchar *binary = g_canonicalize_filename (argv[0], NULL);

  plugin_directory = g_path_get_dirname (binary);
  g_free (binary);
  plugin_localedir = g_build_filename (plugin_directory, "locale", NULL);
  if (!g_file_test (plugin_localedir, G_FILE_TEST_IS_DIR))
    {
      g_free (plugin_localedir);
      plugin_localedir = g_strdup (LOCALEDIR);
    }

  {
    int status = gimp_main (&PLUG_IN_INFO, argc, argv);

    /* After a lack of memory OpenBLAS's worker threads may be retrying
     * their buffers forever, and its exit handler joins them: the process
     * would never end, and GIMP would wait on it.  The answer has been
     * sent to GIMP by now; nothing is left to flush but stdio. */
    if (st_plugin_out_of_memory)
      {
        fflush (NULL);
        _exit (status);
      }
    return status;
  }
}

static void
bind_text_domain (void)
{
  bindtextdomain (GETTEXT_PACKAGE, plugin_localedir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
}

// clang-format off
/* Parameters 5 to 12, the same in both procedures. */
#define SETTINGS_PARAMS                                                        \
    { GIMP_PDB_FLOAT, "strength",                                              \
      "Style against content, 0 to 100; 50 gives the default balance" },       \
    { GIMP_PDB_INT32, "size",                                                  \
      "Long side in pixels at which the transfer runs, 0 to 524288; 0 (the "   \
      "default) paints at the layer's own size, reduced only to what fits "   \
      "the memory budget.  Larger than the layer counts as the layer's "       \
      "size; the run's short side must be at least "                           \
      G_STRINGIFY (ST_MIN_SIDE) " px" },                                       \
    { GIMP_PDB_INT32, "iterations",                                            \
      "Optimizer iterations at the first (smallest) scale, 1 to 10000; the "   \
      "later, larger scales get fewer.  0 chooses automatically" },            \
    { GIMP_PDB_INT32, "preserve-colors",                                       \
      "1 keeps the content's colours and transfers only luminance, 0 "         \
      "takes the style's colours" },                                           \
    { GIMP_PDB_FLOAT, "style-scale",                                           \
      "Size of the style's brush strokes, 0.05 to 10; 1.0 keeps them at the "  \
      "size they have in the style image" },                                   \
    { GIMP_PDB_FLOAT, "smoothness",                                            \
      "Total-variation weight as a multiple of the network's default, 0 to "   \
      "100: 1.0 is the default, 0 turns smoothing off, 2.0 doubles it" },      \
    { GIMP_PDB_INT32, "seed",                                                  \
      "Random seed, any 32-bit integer (-2147483648 to 2147483647); the "      \
      "same seed and settings give the same result" },                         \
    { GIMP_PDB_STRING, "network",                                              \
      "\"embedded\" (built in, no download), \"vgg19\" (the installed VGG19 "  \
      "weights), the path of a .safetensors file with VGG19 weights, or "      \
      "\"\" for the best installed network" }

#define FIRST_PARAMS                                                           \
    { GIMP_PDB_INT32, "run-mode",                                              \
      "The run mode { RUN-INTERACTIVE (0), RUN-NONINTERACTIVE (1), "           \
      "RUN-WITH-LAST-VALS (2) }" },                                            \
    { GIMP_PDB_IMAGE, "image", "Input image" },                                \
    { GIMP_PDB_DRAWABLE, "drawable",                                           \
      "The content: a layer of the image, which is never modified" }

// clang-format on

/* The dialog's Help button: the pages installed beside the plug-in
 * (help/<language>/gimp-help.xml maps the procedures' help IDs to them),
 * registered with GIMP's help system as this plug-in's help domain. */
static void
register_help (void)
{
  gchar *folder = g_build_filename (plugin_directory, "help", NULL);
  gchar *uri = g_file_test (folder, G_FILE_TEST_IS_DIR)
                   ? g_filename_to_uri (folder, NULL, NULL)
                   : NULL;

  if (uri)
    gimp_plugin_help_register (PLUG_IN_ROLE, uri);
  g_free (uri);
  g_free (folder);
}

static void
query (void)
{
  // clang-format off
  static const GimpParamDef args[N_PARAMS] = {
    FIRST_PARAMS,
    { GIMP_PDB_DRAWABLE, "style-drawable",
      "The style: a layer of another open image, or another layer of the "
      "same image (not the content itself)" },
    SETTINGS_PARAMS,
  };

  static const GimpParamDef file_args[N_PARAMS] = {
    FIRST_PARAMS,
    { GIMP_PDB_STRING, "style-file",
      "The style: the path of a picture file GIMP can open (it need not be "
      "open in GIMP), or the name of a painting installed with the "
      "plug-in, such as \"starry-night\"" },
    SETTINGS_PARAMS,
  };

  static const GimpParamDef return_vals[] = {
    { GIMP_PDB_LAYER, "new-layer", "The layer holding the result" },
  };
  // clang-format on

  gimp_plugin_domain_register (GETTEXT_PACKAGE, plugin_localedir);
  register_help ();

  /* The help below says "16 px" in words translators see whole. */
  G_STATIC_ASSERT (ST_MIN_SIDE == 16);
  // clang-format off
  gimp_install_procedure (
    PLUG_IN_PROC,
    N_("Repaint the layer in the style of another picture"),
    N_("Style Transfer repaints the content layer in the style of a second "
       "picture, such as a painting, following Gatys, Ecker and Bethge "
       "(2015): a neural network compares the brush strokes, textures and "
       "colours of the style with the shapes of the content, and the "
       "picture is changed step by step until it matches both.\n\n"
       "The style may be a layer of another open image or another layer of "
       "the same image, but not the content layer itself; "
       "plug-in-style-transfer-file takes a picture file or an installed "
       "painting instead.  "
       "The result is a new layer named after the style "
       "(\"Style Transfer — starry_night\", with an em dash), placed "
       "directly above the content with the same size and offsets; the "
       "content's transparency is kept, and an active selection becomes "
       "the new layer's mask.  "
       "The content layer and the style are never changed, and one Undo "
       "removes everything the filter did.\n\n"
       "By default (size 0) the result is painted at the layer's own "
       "size.  A smaller size, or a layer larger than the memory budget "
       "allows, runs smaller and enlarges the result to the layer's size "
       "(bicubic); the run's short side must be at least 16 px.  "
       "Iterations are those of the first, smallest scale; the later scales "
       "get fewer.  The seed may be any 32-bit integer.  "
       "Grayscale images get a grayscale result.  "
       "Indexed images are refused: convert them with Image > Mode > RGB "
       "first.  "
       "When the run is cancelled the image is left exactly as it was.  "
       "Errors are returned as a second value of type STRING."),
    "GIMP Style Transfer authors",
    "GIMP Style Transfer authors, GPL-3.0-or-later",
    "2024",
    N_("_Style Transfer..."),
    "RGB*, GRAY*",
    GIMP_PLUGIN,
    G_N_ELEMENTS (args), G_N_ELEMENTS (return_vals),
    args, return_vals);

  gimp_install_procedure (
    PLUG_IN_PROC_FILE,
    N_("Repaint the layer in the style of a picture file"),
    N_("The same filter as plug-in-style-transfer, with the style given as "
       "a file name: the path of any picture GIMP can open, which need not "
       "be open in GIMP, or the name of a painting installed with the "
       "plug-in (\"starry-night\", \"the-scream\", \"great-wave\"...: the "
       "groups of paintings.ini in the plug-in's folder).  A script can so "
       "paint every photo of a folder with one painting.\n\n"
       "The other parameters, the result layer (named after the painting's "
       "title or the file's name, as in \"Style Transfer — The Starry "
       "Night\") and the errors are those of plug-in-style-transfer."),
    "GIMP Style Transfer authors",
    "GIMP Style Transfer authors, GPL-3.0-or-later",
    "2024",
    NULL,
    "RGB*, GRAY*",
    GIMP_PLUGIN,
    G_N_ELEMENTS (file_args), G_N_ELEMENTS (return_vals),
    file_args, return_vals);
  // clang-format on

  gimp_plugin_menu_register (PLUG_IN_PROC, "<Image>/Filters/Artistic");
}

/* Whether the dialog can open: a batch GIMP (gimp-console, gimp -i) has
 * no display, and GTK's own initialisation would abort the process
 * ("Plug-in crashed").  The display is GIMP's, as gimp_ui_init () takes
 * it. */
static gboolean
display_available (GError **error)
{
  const gchar *display = gimp_display_name ();
  gchar *arg0 = g_strdup (PLUG_IN_BINARY);
  gchar **argv = &arg0;
  gint argc = 1;
  gboolean ok;

  if (display && display[0])
    g_setenv ("DISPLAY", display, TRUE);
  ok = gtk_init_check (&argc, &argv);
  g_free (arg0);
  if (!ok)
    g_set_error_literal (
        error, ST_PLUGIN_ERROR, GIMP_PDB_EXECUTION_ERROR,
        _ ("Style Transfer cannot open its dialog: GIMP runs without a "
           "display.  Call it from a script with RUN-NONINTERACTIVE and "
           "the settings as arguments."));
  return ok;
}

/* The style-file argument of plug-in-style-transfer-file into vals. */
static gboolean
style_file_from_param (const GimpParam *param, StPluginValues *vals,
                       GError **error)
{
  const gchar *file = param->data.d_string ? param->data.d_string : "";

  if (!file[0])
    {
      /* Says that the name is empty and what to give instead. */
      g_free (st_style_file_resolve (file, NULL, error));
      return FALSE;
    }
  if (strlen (file) >= sizeof vals->style_file)
    {
      g_set_error (error, ST_PLUGIN_ERROR, GIMP_PDB_CALLING_ERROR,
                   _ ("The style file name is longer than %d bytes."),
                   (gint)sizeof vals->style_file - 1);
      return FALSE;
    }
  g_strlcpy (vals->style_file, file, sizeof vals->style_file);
  vals->style_drawable = -1;

  return TRUE;
}

/* The values of a non-interactive call.  FALSE when they do not even have
 * the right count; ranges are checked later, by
 * st_plugin_validate_settings (). */
static gboolean
values_from_params (gboolean style_is_file, gint nparams,
                    const GimpParam *param, StPluginValues *vals,
                    GError **error)
{
  const gchar *network;

  if (nparams != N_PARAMS)
    {
      g_set_error (error, ST_PLUGIN_ERROR, GIMP_PDB_CALLING_ERROR,
                   _ ("Style Transfer takes %d arguments but got %d."),
                   N_PARAMS, nparams);
      return FALSE;
    }

  if (style_is_file && !style_file_from_param (&param[3], vals, error))
    return FALSE;
  if (!style_is_file)
    {
      vals->style_drawable = param[3].data.d_drawable;
      vals->style_file[0] = '\0';
    }
  vals->strength = param[4].data.d_float;
  vals->size = param[5].data.d_int32;
  vals->iterations = param[6].data.d_int32;
  vals->preserve_colors = param[7].data.d_int32;
  vals->style_scale = param[8].data.d_float;
  vals->smoothness = param[9].data.d_float;
  vals->seed = param[10].data.d_int32;

  network = param[11].data.d_string ? param[11].data.d_string : "";
  if (strlen (network) >= sizeof vals->network)
    {
      g_set_error (error, ST_PLUGIN_ERROR, GIMP_PDB_CALLING_ERROR,
                   _ ("The network argument is longer than %d bytes."),
                   (gint)sizeof vals->network - 1);
      return FALSE;
    }
  g_strlcpy (vals->network, network, sizeof vals->network);

  return TRUE;
}

/* One call of the procedure, as run () receives it. */
typedef struct
{
  GimpRunMode run_mode;
  gboolean style_is_file; /* plug-in-style-transfer-file      */
  gint nparams;
  const GimpParam *param;
  gint32 image_id;
  gint32 drawable_id;
  StPluginValues vals;
  gboolean content_checked; /* already, before a dialog opened */
  StNetwork *network;       /* opened by the dialog, or NULL */
  StContext *engine;        /* the engine's state for this call */
} Call;

/* What the run mode made of the settings. */
typedef enum
{
  SETTINGS_READY,
  SETTINGS_CANCELLED, /* the user closed the dialog */
  SETTINGS_FAILED     /* error says why             */
} SettingsOutcome;

/* The dialog, for the content of call, starting from call->vals. */
static SettingsOutcome
settings_from_dialog (Call *call, GError **error)
{
  /* The content first, so that a bad layer is said before the dialog
   * opens rather than after it. */
  if (!call->content_checked
      && !(call->content_checked = st_plugin_validate_content (
               call->image_id, call->drawable_id, error)))
    return SETTINGS_FAILED;
  if (!display_available (error))
    return SETTINGS_FAILED;
  return st_dialog_run (call->engine, &call->vals, call->image_id,
                        call->drawable_id, plugin_directory, &call->network)
             ? SETTINGS_READY
             : SETTINGS_CANCELLED;
}

/* Interactive: the last values, then the dialog. */
static SettingsOutcome
settings_interactive (Call *call, GError **error)
{
  const GimpParam *file = call->nparams > 3 ? &call->param[3] : NULL;

  gimp_get_data (PLUG_IN_PROC, &call->vals);
  /* Re-show after the style's image was closed: its painting or file,
   * else the dialog's own first choice. */
  st_style_recover (&call->vals, plugin_directory);
  /* The file procedure's dialog starts with its file chosen (the
   * content is checked first, as the dialog would). */
  if (call->style_is_file && file && file->data.d_string
      && file->data.d_string[0])
    {
      if (!(call->content_checked = st_plugin_validate_content (
                call->image_id, call->drawable_id, error))
          || !style_file_from_param (file, &call->vals, error))
        return SETTINGS_FAILED;
    }
  return settings_from_dialog (call, error);
}

/* Repeat (last values): the last run's settings; when its style picture
 * was closed and is not on disk either, the dialog chooses again where
 * there is a screen. */
static SettingsOutcome
settings_last (Call *call, GError **error)
{
  if (!gimp_get_data (PLUG_IN_PROC, &call->vals))
    {
      g_set_error_literal (error, ST_PLUGIN_ERROR, GIMP_PDB_CALLING_ERROR,
                           _ ("Style Transfer has no last values yet: run "
                              "it once from the menu first."));
      return SETTINGS_FAILED;
    }
  if (st_style_recover (&call->vals, plugin_directory))
    return SETTINGS_READY;
  if (!gimp_display_name () || !gimp_display_name ()[0])
    {
      g_set_error_literal (
          error, ST_PLUGIN_ERROR, GIMP_PDB_CALLING_ERROR,
          _ ("The style picture of the last run was closed and is "
             "not on disk: choose a style with Filters > Artistic > "
             "Style Transfer."));
      return SETTINGS_FAILED;
    }
  return settings_from_dialog (call, error);
}

/* The run-mode switch: where the settings come from. */
static SettingsOutcome
settings_for_run_mode (Call *call, GError **error)
{
  st_plugin_values_init (&call->vals);

  switch (call->run_mode)
    {
    case GIMP_RUN_INTERACTIVE:
      return settings_interactive (call, error);

    case GIMP_RUN_NONINTERACTIVE:
      return values_from_params (call->style_is_file, call->nparams,
                                 call->param, &call->vals, error)
                 ? SETTINGS_READY
                 : SETTINGS_FAILED;

    case GIMP_RUN_WITH_LAST_VALS:
      return settings_last (call, error);

    default:
      g_set_error (error, ST_PLUGIN_ERROR, GIMP_PDB_CALLING_ERROR,
                   _ ("Unknown run mode %d."), (gint)call->run_mode);
      return SETTINGS_FAILED;
    }
}

/* The new layer as the second return value; the settings remembered. */
static void
return_layer (const Call *call, gint32 layer_id, GimpParam *values,
              gint *nreturn_vals)
{
  /* Scripts' calls count too: "Repeat" and the next dialog start from
   * the last settings that worked. */
  gimp_set_data (PLUG_IN_PROC, &call->vals, sizeof call->vals);
  st_style_remember_source (&call->vals);

  if (call->run_mode != GIMP_RUN_NONINTERACTIVE)
    gimp_displays_flush ();

  *nreturn_vals = 2;
  values[1].type = GIMP_PDB_LAYER;
  values[1].data.d_layer = layer_id;
}

/* The failure's status, and its message as the second return value
 * (GIMP shows it to the user and to the calling script). */
static void
return_error (const GError *error, GimpParam *values, gint *nreturn_vals)
{
  /* libgimp sends it after run () returns, hence static. */
  static gchar *message = NULL;
  GimpPDBStatusType status = GIMP_PDB_EXECUTION_ERROR;

  if (error && error->domain == ST_PLUGIN_ERROR)
    status = (GimpPDBStatusType)error->code;
  if (st_plugin_render_out_of_memory ())
    st_plugin_out_of_memory = TRUE;

  values[0].data.d_status = status;
  if (status == GIMP_PDB_CANCEL)
    return;
  g_free (message);
  message = g_strdup (error ? error->message : _ ("Style Transfer failed."));
  *nreturn_vals = 2;
  values[1].type = GIMP_PDB_STRING;
  values[1].data.d_string = message;
}

static void
run (const gchar *name, gint nparams, const GimpParam *param,
     gint *nreturn_vals, GimpParam **return_vals)
{
  /* libgimp sends these after run () returns, hence static. */
  static GimpParam values[2];
  Call call = { 0 };
  GError *error = NULL;
  SettingsOutcome outcome;
  gint32 layer_id = -1;

  bind_text_domain ();
  gegl_init (NULL, NULL);

  *nreturn_vals = 1;
  *return_vals = values;
  values[0].type = GIMP_PDB_STATUS;
  values[0].data.d_status = GIMP_PDB_SUCCESS;

  call.run_mode = nparams > 0 ? (GimpRunMode)param[0].data.d_int32
                              : GIMP_RUN_NONINTERACTIVE;
  call.style_is_file = g_strcmp0 (name, PLUG_IN_PROC_FILE) == 0;
  call.nparams = nparams;
  call.param = param;
  call.image_id = nparams >= 3 ? param[1].data.d_image : -1;
  call.drawable_id = nparams >= 3 ? param[2].data.d_drawable : -1;
  /* one context for the dialog (its estimates and preview) and the run:
   * all cores, the preview asking for one fewer */
  call.engine = st_context_new (0);

  outcome
      = call.engine ? settings_for_run_mode (&call, &error) : SETTINGS_FAILED;
  if (!call.engine)
    g_set_error_literal (&error, ST_PLUGIN_ERROR, GIMP_PDB_EXECUTION_ERROR,
                         _ ("Style transfer failed."));
  if (outcome == SETTINGS_CANCELLED)
    {
      st_context_free (call.engine);
      values[0].data.d_status = GIMP_PDB_CANCEL;
      return;
    }

  /* Each check once per run; the engine checks its own parameters. */
  if (outcome == SETTINGS_READY
      && (call.content_checked
          || st_plugin_validate_content (call.image_id, call.drawable_id,
                                         &error))
      && st_plugin_validate_settings (call.drawable_id, &call.vals,
                                      plugin_directory, &error))
    layer_id
        = st_plugin_render (call.engine, call.image_id, call.drawable_id,
                            &call.vals, plugin_directory, call.network,
                            call.run_mode != GIMP_RUN_NONINTERACTIVE, &error);
  st_network_free (call.network);
  st_context_free (call.engine);

  if (layer_id != -1)
    return_layer (&call, layer_id, values, nreturn_vals);
  else
    return_error (error, values, nreturn_vals);
  g_clear_error (&error);
}
