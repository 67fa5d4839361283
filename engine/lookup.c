/* lookup.c - where installed VGG19 weights are found.
 *
 * One rule for every front end (the CLI's --network vgg19, the plug-in's
 * PDB parameter and its dialog), so that a file the fetch command installed
 * is found by all of them, and a user who says which file is used sees the
 * same answer everywhere.  The order is the one documented with
 * st_network_find_vgg19 in style-transfer.h: most specific first.
 */

#include "internal.h"

#define VGG19_FOLDER "gimp-style-transfer"
#define VGG19_FILE "vgg19.safetensors"

/* A candidate counts only when it is a regular file: a folder or a broken
 * link in one place must not hide a good file further down the list. */
static char *
take_if_file (char *path)
{
  if (path != NULL && g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return path;
  g_free (path);
  return NULL;
}

char *
st_network_find_vgg19 (const char *extra_dir)
{
  const char *variable;
  const char *const *system_dirs;
  char *found;

  /* 1. an explicit choice, for one run or one session */
  variable = g_getenv ("ST_VGG19_WEIGHTS");
  if (variable != NULL && *variable != '\0'
      && (found = take_if_file (g_strdup (variable))) != NULL)
    return found;

  /* 2. beside the plug-in, for a self-contained installation */
  if (extra_dir != NULL && *extra_dir != '\0'
      && (found = take_if_file (g_build_filename (extra_dir, VGG19_FILE, NULL)))
             != NULL)
    return found;

  /* 3. where the fetch command installs by default ($XDG_DATA_HOME) */
  found = take_if_file (g_build_filename (g_get_user_data_dir (), VGG19_FOLDER,
                                          VGG19_FILE, NULL));
  if (found != NULL)
    return found;

  /* 4. a system-wide installation ($XDG_DATA_DIRS), in the user's order */
  system_dirs = g_get_system_data_dirs ();
  for (size_t i = 0; system_dirs != NULL && system_dirs[i] != NULL; i++)
    {
      /* the XDG specification says relative entries are to be ignored */
      if (!g_path_is_absolute (system_dirs[i]))
        continue;
      found = take_if_file (
          g_build_filename (system_dirs[i], VGG19_FOLDER, VGG19_FILE, NULL));
      if (found != NULL)
        return found;
    }
  return NULL;
}

const char *
st_network_install_hint (void)
{
  /* Only the command, as style-transfer.h promises: callers wrap it in
     their own sentence.  The installed name first, since that is what a
     user of a packaged plug-in has; the source-tree form for someone who
     built it and did not install it. */
  return "gimp-style-transfer-fetch-vgg19 (in a source tree: "
         "weights/fetch-vgg19)";
}
