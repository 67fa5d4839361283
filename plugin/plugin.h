/* plugin.h - what the files of the GIMP 2.10 plug-in share.
 *
 * style-transfer.c registers the procedure and handles the run modes,
 * validate.c checks a call before anything is read, render.c reads the
 * pixels, runs the engine and adds the result layer, and the dialog
 * (ui/dialog.c) edits a StPluginValues behind st_plugin_dialog ().
 */
#ifndef ST_PLUGIN_H
#define ST_PLUGIN_H

#include <libgimp/gimp.h>

#include "style-transfer.h"

#include <glib/gi18n.h>

G_BEGIN_DECLS

#define PLUG_IN_PROC "plug-in-style-transfer"
#define PLUG_IN_BINARY "style-transfer"
#define PLUG_IN_ROLE "gimp-style-transfer"

/* Ranges of the procedure's parameters; the dialog uses the same. */
#define ST_PLUGIN_STRENGTH_MAX 100.0
#define ST_PLUGIN_ITERATIONS_MAX 10000
#define ST_PLUGIN_STYLE_SCALE_MIN 0.1
#define ST_PLUGIN_STYLE_SCALE_MAX 10.0
#define ST_PLUGIN_SMOOTHNESS_MAX 100.0
#define ST_PLUGIN_NETWORK_MAX 1024 /* bytes, with the final NUL */

/* The settings of one run, saved whole with gimp_set_data () as the last
 * values: fixed size, no pointers.  Fields follow the procedure's
 * parameters 4 to 12. */
typedef struct
{
  gint32 style_drawable;    /* a drawable other than the content         */
  gdouble strength;         /* 0..100: style against content; 50 default */
  gint32 size;              /* long side of the run; 0 = the layer's own */
  gint32 iterations;        /* per scale; 0 = automatic                  */
  gboolean preserve_colors; /* transfer luminance only                   */
  gdouble style_scale;      /* 1 = style features at their painted size  */
  gdouble smoothness;       /* multiple of the network's default TV term */
  gint32 seed;
  gchar network[ST_PLUGIN_NETWORK_MAX]; /* "", "embedded", "vgg19", path */
} StPluginValues;

/* The defaults of a first interactive run. */
void st_plugin_values_init (StPluginValues *vals);

/* The error domain of the plug-in: codes are GimpPDBStatusType values
 * (GIMP_PDB_CALLING_ERROR, GIMP_PDB_EXECUTION_ERROR, GIMP_PDB_CANCEL). */
#define ST_PLUGIN_ERROR (st_plugin_error_quark ())
GQuark st_plugin_error_quark (void);

/* The folder of the plug-in's binary, where installed VGG19 weights may
 * sit beside it; set once in main (). */
const gchar *st_plugin_get_directory (void);

/* Checks a call before anything is read: the content drawable belongs to
 * image and is a layer of an RGB or grayscale image, the style drawable
 * exists and is not the content, every number is in range.  FALSE with a
 * message for a person, coded as above. */
/* The content half of st_plugin_validate (): checked before the dialog
 * opens, so that the user hears about a bad layer first. */
gboolean st_plugin_validate_content (gint32 image_id, gint32 drawable_id,
                                     GError **error);

gboolean st_plugin_validate (gint32 image_id, gint32 drawable_id,
                             const StPluginValues *vals, GError **error);

/* The engine's parameters for vals and a content of width x height: the
 * one mapping from the plug-in's settings, for the run and the dialog. */
void     st_plugin_params_from_values (const StPluginValues *vals,
                                       gint                  width,
                                       gint                  height,
                                       StParams             *params);

/* Runs the transfer and, only when it succeeded, adds the result as a new
 * layer above the content in one undo group.  Returns the new layer's ID,
 * or -1 with error set, in which case the image was not changed. */
gint32 st_plugin_render (gint32 image_id, gint32 drawable_id,
                         const StPluginValues *vals, gboolean interactive,
                         GError **error);

/* Shows the settings dialog for the content drawable_id of image_id and
 * edits vals; TRUE when the user chose to run. */
gboolean st_plugin_dialog (StPluginValues *vals, gint32 image_id,
                           gint32 drawable_id);

G_END_DECLS

#endif
