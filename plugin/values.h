/* values.h - the plug-in's settings: their defaults, their ranges and
 * their meaning for the engine, in one place for the run and the dialog.
 *
 * Nothing here talks to GIMP: the procedure (procedure.c,
 * validate.c, render.c) and the dialog (ui/) both use it, and it uses
 * neither of them.
 *
 * Copyright (C) 2024 the GIMP Style Transfer authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef ST_PLUGIN_VALUES_H
#define ST_PLUGIN_VALUES_H

#include <gio/gio.h> /* before libgimpbase, which needs GFile */
#include <libgimpbase/gimpbase.h>

#include "style-transfer.h"

G_BEGIN_DECLS

#define PLUG_IN_PROC "plug-in-style-transfer"
/* The same filter with the style given as a file name (a script's way to
 * paint with a picture that is not open, or an installed painting). */
#define PLUG_IN_PROC_FILE "plug-in-style-transfer-file"
#define PLUG_IN_BINARY "style-transfer"
#define PLUG_IN_ROLE "gimp-style-transfer"

/* The one table of the settings' ranges: calls are checked against it
 * (st_plugin_values_check) and the dialog's fields end at it.  Each range
 * lies inside the engine's own (st_params_validate), so that a call the
 * plug-in accepts is never refused by the engine for a range.  Where the
 * two differ the plug-in is stricter on purpose (the style scale is the
 * engine's own range, as on the command line, issue 20: a style too small
 * at a small size is the engine's clear error, "too small"):
 *   iterations   up to 10000, not 100000: a GIMP user waits for each one;
 *   smoothness   a multiple of the network's default, up to 100 times. */
#define ST_PLUGIN_STRENGTH_MAX 100.0
#define ST_PLUGIN_SIZE_MAX GIMP_MAX_IMAGE_SIZE
#define ST_PLUGIN_ITERATIONS_MAX 10000
#define ST_PLUGIN_STYLE_SCALE_MIN ST_STYLE_SCALE_MIN
#define ST_PLUGIN_STYLE_SCALE_MAX ST_STYLE_SCALE_MAX
#define ST_PLUGIN_SMOOTHNESS_MAX 100.0
#define ST_PLUGIN_NETWORK_MAX 1024    /* bytes, with the final NUL */
#define ST_PLUGIN_STYLE_FILE_MAX 4096 /* bytes, with the final NUL */

/* The settings of one run, saved whole with gimp_set_data () as the last
 * values: fixed size, no pointers.  Fields follow the procedure's
 * parameters 4 to 12; the style is style_file when that is not empty
 * (plug-in-style-transfer-file, or a painting or file chosen in the
 * dialog), else style_drawable. */
typedef struct
{
  gint32 style_drawable;    /* a drawable other than the content, or -1  */
  gdouble strength;         /* 0..100: style against content; 50 default */
  gint32 size;              /* long side of the run; 0 = the engine's    */
  gint32 iterations;        /* per scale; 0 = automatic                  */
  gboolean preserve_colors; /* transfer luminance only                   */
  gdouble style_scale;      /* 1 = style features at their painted size  */
  gdouble smoothness;       /* multiple of the network's default TV term */
  gint32 seed;
  gchar network[ST_PLUGIN_NETWORK_MAX]; /* "", "embedded", "vgg19", path */
  gchar style_file[ST_PLUGIN_STYLE_FILE_MAX]; /* a picture's path, or ""  */
} StPluginValues;

/* The error domain of the plug-in: codes are GimpPDBStatusType values
 * (GIMP_PDB_CALLING_ERROR, GIMP_PDB_EXECUTION_ERROR, GIMP_PDB_CANCEL). */
#define ST_PLUGIN_ERROR (st_plugin_error_quark ())
GQuark st_plugin_error_quark (void);

/* Sets a GIMP_PDB_CALLING_ERROR (a bad argument) and returns FALSE. */
gboolean st_plugin_calling_error (GError **error, const gchar *format, ...)
    G_GNUC_PRINTF (2, 3);

/* The defaults of a first interactive run. */
void st_plugin_values_init (StPluginValues *vals);

/* Every number of vals against the table above: FALSE with a message for
 * a person, coded GIMP_PDB_CALLING_ERROR. */
gboolean st_plugin_values_check (const StPluginValues *vals, GError **error);

/* The engine's parameters for vals and a content layer of width x height:
 * the one mapping from the plug-in's settings, for the run and the
 * dialog.  Size 0 stays 0, so that the engine decides the size (the
 * layer's own, shrunk to the memory budget: see st_estimate); a size
 * larger than the layer counts as the layer's size. */
void st_plugin_params_from_values (const StPluginValues *vals, gint width,
                                   gint height, StParams *params);

/* ------------------------------------------------- the engine's messages */

/* The engine writes its messages in English, in lower case, without a
 * final period (GLib's style), and has no translations; the plug-in shows
 * them to people.  The message of engine_error for a person, as a
 * sentence (capital letter, final period).  Newly allocated. */
gchar *st_plugin_engine_message (const GError *engine_error);
/* The same for an error of st_network_open (network): "vgg19" not
 * installed is said in the plug-in's own translated words, with the
 * command that installs it. */
gchar *st_plugin_network_message (const GError *engine_error,
                                  const gchar *network);
/* A message as a sentence: its first letter capitalised, a final period
 * added when it ends without punctuation.  Newly allocated. */
gchar *st_plugin_sentence (const gchar *message);
/* The command that installs the VGG19 weights, for messages: its
 * installed path when it is installed (a per-user install puts it in
 * ~/.local/bin, which may not be on PATH), else the engine's hint with
 * its source-tree note translated.  Newly allocated. */
gchar *st_plugin_install_hint (void);

/* A duration for people: "45 s", "2 min 5 s", "1 h 3 min" (at least
 * 1 s), for the dialog's estimate and the progress bar's time left. */
gchar *st_plugin_format_duration (gdouble seconds);

G_END_DECLS

#endif
