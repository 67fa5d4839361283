/* network.c - opening a network by the name a user gives, and what every
 * network answers: its kind and its description.  The networks themselves
 * are in embedded.c and vgg19.c, their graphs run in graph.c. */
#include "network.h"

#include <string.h>

void
st_network_free (StNetwork *network)
{
  if (!network)
    return;
  for (int s = 0; s < network->n_sizes; s++)
    g_free (network->filters[s]);
  if (network->vgg)
    st_vgg19_weights_free (network->vgg);
  g_free (network->kind);
  g_free (network->description);
  g_free (network);
}

const char *
st_network_kind (const StNetwork *network)
{
  return network->kind;
}

const char *
st_network_describe (const StNetwork *network)
{
  return network->description;
}

StNetworkChoice
st_network_choice (const char *name)
{
  if (name == NULL || name[0] == '\0')
    return ST_NETWORK_BEST;
  if (g_ascii_strcasecmp (name, "embedded") == 0)
    return ST_NETWORK_EMBEDDED;
  if (g_ascii_strcasecmp (name, "vgg19") == 0)
    return ST_NETWORK_VGG19;
  return ST_NETWORK_FILE;
}

static StNetwork *
new_embedded (GError **error)
{
  StNetwork *net = st_network_new_embedded ();
  if (!net)
    g_set_error (error, ST_ERROR, ST_ERROR_MEMORY,
                 "out of memory for the embedded network");
  return net;
}

StNetwork *
st_network_open (const char *name, const char *extra_dir, GError **error)
{
  char *path;
  StNetwork *net;
  if (st_network_choice (name) == ST_NETWORK_BEST)
    {
      path = st_network_find_vgg19 (extra_dir);
      if (!path)
        return new_embedded (error);
      net = st_network_load_vgg19 (path, error);
      g_free (path);
      return net;
    }
  if (st_network_choice (name) == ST_NETWORK_EMBEDDED)
    return new_embedded (error);
  if (st_network_choice (name) == ST_NETWORK_VGG19)
    {
      path = st_network_find_vgg19 (extra_dir);
      if (!path)
        {
          g_set_error (error, ST_ERROR, ST_ERROR_NOT_FOUND,
                       "VGG19 weights are not installed; install them with "
                       "\"%s\", or use the embedded network",
                       st_network_install_hint ());
          return NULL;
        }
      net = st_network_load_vgg19 (path, error);
      g_free (path);
      return net;
    }
  if (!g_file_test (name, G_FILE_TEST_EXISTS)
      && (strchr (name, G_DIR_SEPARATOR)
          || g_str_has_suffix (name, ".safetensors")))
    {
      g_set_error (error, ST_ERROR, ST_ERROR_NOT_FOUND,
                   "%s: no such network file", name);
      return NULL;
    }
  if (!g_file_test (name, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, ST_ERROR, ST_ERROR_NOT_FOUND,
                   "unknown network \"%s\": use \"embedded\", \"vgg19\" or "
                   "the path of a .safetensors file",
                   name);
      return NULL;
    }
  return st_network_load_vgg19 (name, error);
}
