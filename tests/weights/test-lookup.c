/* test-lookup.c - st_network_find_vgg19 follows its documented order.
 *
 * GLib reads $XDG_DATA_HOME and $XDG_DATA_DIRS once per process and keeps
 * them, so each step runs the lookup in a fresh child process
 * (g_test_trap_subprocess) with the environment the step sets up.
 */

#include "internal.h"

#include <string.h>

#include <glib/gstdio.h>

static char *root;

static char *make_file (const char *first, ...) G_GNUC_NULL_TERMINATED;

/* root/first/.../last, with its folders; returns the path. */
static char *
make_file (const char *first, ...)
{
  va_list args;
  char *relative, *path, *dir;

  va_start (args, first);
  relative = g_build_filename_valist (first, &args);
  va_end (args);
  path = g_build_filename (root, relative, NULL);
  dir = g_path_get_dirname (path);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, "not checked here", -1, NULL));
  g_free (dir);
  g_free (relative);
  return path;
}

static char *
in_root (const char *relative)
{
  return g_build_filename (root, relative, NULL);
}

/* Runs the lookup in a child with the current environment and extra_dir
 * (NULL for none); expected NULL means "none found". */
static void
expect_found (const char *extra_dir, const char *expected)
{
  char *pattern;

  if (extra_dir != NULL)
    g_setenv ("TEST_EXTRA_DIR", extra_dir, TRUE);
  else
    g_unsetenv ("TEST_EXTRA_DIR");
  g_test_trap_subprocess ("/lookup/child", 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  pattern = g_strdup_printf ("found: %s\n", expected ? expected : "(none)");
  /* a glob, but the temporary paths hold no '*' or '?' */
  g_test_trap_assert_stdout (pattern);
  g_free (pattern);
}

static void
child (void)
{
  char *found;

  if (!g_test_subprocess ())
    return; /* only meaningful in a step's child */
  found = st_network_find_vgg19 (g_getenv ("TEST_EXTRA_DIR"));
  g_print ("found: %s\n", found ? found : "(none)");
  g_free (found);
}

static void
test_order (void)
{
  char *env_file = make_file ("env", "my-weights.safetensors", NULL);
  char *extra = in_root ("plugin");
  char *extra_file = make_file ("plugin", "vgg19.safetensors", NULL);
  char *home_file
      = make_file ("home", "gimp-style-transfer", "vgg19.safetensors", NULL);
  char *sys1_file
      = make_file ("sys1", "gimp-style-transfer", "vgg19.safetensors", NULL);
  char *sys2_file
      = make_file ("sys2", "gimp-style-transfer", "vgg19.safetensors", NULL);
  char *home = in_root ("home"), *sys1 = in_root ("sys1");
  char *sys2 = in_root ("sys2"), *empty = in_root ("empty");
  char *dirs = g_strdup_printf ("%s:relative/sys2:%s:%s", empty, sys1, sys2);
  char *missing = in_root ("env/missing.safetensors");
  char *env_dir = in_root ("env");

  g_assert_cmpint (g_mkdir_with_parents (empty, 0700), ==, 0);
  g_setenv ("XDG_DATA_HOME", home, TRUE);
  g_setenv ("XDG_DATA_DIRS", dirs, TRUE);

  /* 1. the variable wins over everything */
  g_setenv ("ST_VGG19_WEIGHTS", env_file, TRUE);
  expect_found (extra, env_file);
  /* ... but only when it names a file */
  g_setenv ("ST_VGG19_WEIGHTS", missing, TRUE);
  expect_found (extra, extra_file);
  g_setenv ("ST_VGG19_WEIGHTS", env_dir, TRUE);
  expect_found (extra, extra_file);
  g_setenv ("ST_VGG19_WEIGHTS", "", TRUE);
  expect_found (extra, extra_file);
  g_unsetenv ("ST_VGG19_WEIGHTS");

  /* 2. the plug-in's folder */
  expect_found (extra, extra_file);
  /* 3. the user's data folder, with no extra folder or none in it */
  expect_found (NULL, home_file);
  expect_found (empty, home_file);
  expect_found ("", home_file);

  /* 4. the system folders in $XDG_DATA_DIRS order, relative ones
     skipped (relative/sys2 would resolve from the working folder) */
  g_assert_cmpint (g_unlink (home_file), ==, 0);
  expect_found (empty, sys1_file);
  g_assert_cmpint (g_unlink (sys1_file), ==, 0);
  expect_found (empty, sys2_file);
  g_assert_cmpint (g_unlink (sys2_file), ==, 0);

  /* nothing anywhere */
  expect_found (empty, NULL);
  expect_found (NULL, NULL);

  /* without $XDG_DATA_HOME, the XDG default ~/.local/share */
  {
    char *fake_home = in_root ("fakehome");
    char *file = make_file ("fakehome", ".local", "share",
                            "gimp-style-transfer", "vgg19.safetensors", NULL);

    g_unsetenv ("XDG_DATA_HOME");
    g_setenv ("HOME", fake_home, TRUE);
    expect_found (NULL, file);
    g_free (file);
    g_free (fake_home);
  }

  g_free (env_dir);
  g_free (missing);
  g_free (dirs);
  g_free (empty);
  g_free (sys2);
  g_free (sys1);
  g_free (home);
  g_free (sys2_file);
  g_free (sys1_file);
  g_free (home_file);
  g_free (extra_file);
  g_free (extra);
  g_free (env_file);
}

static void
test_hint (void)
{
  const char *hint = st_network_install_hint ();

  g_assert_nonnull (hint);
  /* the message must name the command that installs the weights */
  g_assert_nonnull (strstr (hint, "gimp-style-transfer-fetch-vgg19"));
  g_assert_nonnull (strstr (hint, "weights/fetch-vgg19"));
}

static void
remove_tree (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      char *child_path = g_build_filename (path, name, NULL);

      if (g_file_test (child_path, G_FILE_TEST_IS_DIR))
        remove_tree (child_path);
      else
        g_unlink (child_path);
      g_free (child_path);
    }
  if (dir != NULL)
    g_dir_close (dir);
  g_rmdir (path);
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/lookup/child", child);
  g_test_add_func ("/lookup/hint", test_hint);
  if (g_test_subprocess ())
    return g_test_run ();

  root = g_dir_make_tmp ("st-lookup-XXXXXX", NULL);
  g_assert_nonnull (root);
  g_test_add_func ("/lookup/order", test_order);
  status = g_test_run ();
  remove_tree (root);
  g_free (root);
  return status;
}
