/* plugin.h - the procedure's run: what procedure.c (registration, run
 * modes, last values) calls in validate.c and render.c.
 *
 * The settings themselves (StPluginValues, their ranges, their engine
 * parameters) are in values.h, which the dialog (ui/) uses too; the dialog
 * is reached only from procedure.c, through ui/dialog.h.  Nothing
 * declared here is for ui/.
 */
#ifndef ST_PLUGIN_H
#define ST_PLUGIN_H

#include <libgimp/gimp.h>

#include "style-transfer.h"
#include "values.h"

#include <glib/gi18n.h>

G_BEGIN_DECLS

/* The content of a call: drawable_id belongs to image_id and is a layer
 * of an RGB or grayscale image.  Checked first (before the dialog opens,
 * in an interactive run), so that the user hears about a bad layer first.
 * FALSE with a message for a person, coded as for ST_PLUGIN_ERROR. */
gboolean st_plugin_validate_content (gint32 image_id, gint32 drawable_id,
                                     GError **error);

/* The rest of a call, once its content is known to be good: the style
 * drawable exists and is not the content, or the style file exists (the
 * name of a painting installed in plugin_dir is replaced by its file's
 * path), and every number is in the range of values.h. */
gboolean st_plugin_validate_settings (gint32 drawable_id, StPluginValues *vals,
                                      const gchar *plugin_dir, GError **error);

/* Runs the transfer and, only when it succeeded, adds the result as a new
 * layer above the content in one undo group.  plugin_dir is the folder of
 * the plug-in's binary, where VGG19 weights may be installed; network,
 * when not NULL, is vals->network already open (the dialog's), else it is
 * opened here.  Returns the
 * new layer's ID, or -1 with error set, in which case the image was not
 * changed. */
gint32 st_plugin_render (StContext *engine, gint32 image_id, gint32 drawable_id,
                         const StPluginValues *vals, const gchar *plugin_dir,
                         const StNetwork *network, gboolean interactive,
                         GError **error);

/* TRUE once a run has failed for lack of memory (the engine's
 * ST_ERROR_MEMORY): OpenBLAS's threads may then never end. */
gboolean st_plugin_render_out_of_memory (void);

G_END_DECLS

#endif
