/* network-row.h - the dialog's Network row: the choice of network (best
 * installed, built-in, VGG19, a weights file), the network it opens for
 * the estimate and the preview, and the line under it that says which
 * network paints and how to install VGG19 when it is missing.
 *
 * Copyright (C) 2024 the GIMP Style Transfer authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef ST_UI_NETWORK_ROW_H
#define ST_UI_NETWORK_ROW_H

#include <gtk/gtk.h>

#include "plugin/values.h"
#include "style-transfer.h"

G_BEGIN_DECLS

typedef struct StNetworkRow StNetworkRow;
/* network: the one now open, for the estimate and the preview. */
typedef void (*StNetworkRowFunc) (const StNetwork *network, gpointer data);

/* The row for vals->network, which it opens now (the built-in network
 * when that one cannot be used); plugin_dir is where VGG19 may be
 * installed.  When the user chooses another network, the row writes
 * vals->network, opens it and calls changed (network, data); the network
 * open before is freed after changed returns. */
StNetworkRow *st_network_row_new (StPluginValues *vals, const gchar *plugin_dir,
                                  StNetworkRowFunc changed, gpointer data);
/* The choice (a combo box and a file button), and the line under it. */
GtkWidget *st_network_row_chooser (StNetworkRow *row);
GtkWidget *st_network_row_status (StNetworkRow *row);
const StNetwork *st_network_row_network (StNetworkRow *row);
/* vals->network was set elsewhere (Reset): the row shows it, opens it
 * and calls changed. */
void st_network_row_reload (StNetworkRow *row);
/* The network vals->network names, for the run to use, now the caller's
 * (st_network_free); NULL when it could not be opened (the row then held
 * the embedded network for the preview, and the run reports why). */
StNetwork *st_network_row_take_network (StNetworkRow *row);
/* Frees the row's network; its widgets belong to the dialog. */
void st_network_row_free (StNetworkRow *row);

G_END_DECLS

#endif
