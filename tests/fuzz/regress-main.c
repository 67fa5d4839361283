/* regress-main.c - runs a fuzz harness on files, without libFuzzer: every
 * file in each directory given (or each file given) goes once through
 * LLVMFuzzerTestOneInput.  This is how the seed corpus and every crash
 * the fuzzers ever found (tests/fuzz/regressions/HARNESS/) run in the
 * normal `meson test`, with gcc or clang, sanitized or not. */
#include <glib.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

static int
run_file (const char *path)
{
  char *bytes;
  gsize length;
  GError *error = NULL;
  if (!g_file_get_contents (path, &bytes, &length, &error))
    {
      fprintf (stderr, "%s\n", error->message);
      g_error_free (error);
      return 1;
    }
  printf ("%s (%zu bytes)\n", path, (size_t)length);
  fflush (stdout);
  /* A private copy of exactly `length` bytes, so that ASan sees reads
   * past the end (g_file_get_contents adds a NUL). */
  uint8_t *copy = g_memdup2 (bytes, length);
  LLVMFuzzerTestOneInput (copy, length);
  g_free (copy);
  g_free (bytes);
  return 0;
}

int
main (int argc, char **argv)
{
  int failed = 0, files = 0;
  for (int i = 1; i < argc; i++)
    {
      GDir *dir = g_dir_open (argv[i], 0, NULL);
      if (!dir)
        {
          failed |= run_file (argv[i]);
          files++;
          continue;
        }
      GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
      const char *name;
      while ((name = g_dir_read_name (dir)))
        if (name[0] != '.' && g_strcmp0 (name, "README") != 0)
          g_ptr_array_add (names, g_build_filename (argv[i], name, NULL));
      g_dir_close (dir);
      g_ptr_array_sort (names, compare_names);
      for (guint j = 0; j < names->len; j++, files++)
        failed |= run_file (names->pdata[j]);
      g_ptr_array_unref (names);
    }
  printf ("%d inputs\n", files);
  return failed;
}
