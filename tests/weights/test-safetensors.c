/* test-safetensors.c - st_vgg19_weights_load on good and hostile files.
 *
 * Every file is made here, in a temporary folder: a valid VGG19 header over
 * a sparse data section (ftruncate, so 80 MB of zeros cost no writes), then
 * one defect per case.  A refused file must give ST_ERROR with the expected
 * code and a message that names the file and the problem.
 */

#include "internal.h"

#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

static const int feature_index[ST_VGG19_N_CONV]
    = { 0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25, 28, 30, 32, 34 };
static const int c_in[ST_VGG19_N_CONV]
    = { 3,   64,  64,  128, 128, 256, 256, 256,
        256, 512, 512, 512, 512, 512, 512, 512 };
static const int c_out[ST_VGG19_N_CONV]
    = { 64,  64,  128, 128, 256, 256, 256, 256,
        512, 512, 512, 512, 512, 512, 512, 512 };

static char *tmp_dir;

/* ------------------------------------------------------- file builders */

/* A valid header: the 32 tensors in order, packed from offset 0, with
 * element_size bytes each.  *data_length gets the data section's size;
 * offsets[2k], offsets[2k+1] the byte offset of conv k's weight and bias. */
static char *
valid_header (const char *dtype, int element_size, const char *metadata,
              guint64 *data_length, guint64 *offsets)
{
  GString *header = g_string_new ("{");
  guint64 at = 0;

  if (metadata != NULL)
    g_string_append_printf (header, "\"__metadata__\":%s,", metadata);
  for (int i = 0; i < ST_VGG19_N_CONV; i++)
    {
      guint64 w = (guint64)c_out[i] * c_in[i] * 9 * element_size;
      guint64 b = (guint64)c_out[i] * element_size;

      if (offsets != NULL)
        offsets[2 * i] = at, offsets[2 * i + 1] = at + w;
      g_string_append_printf (header,
                              "%s\"features.%d.weight\":{\"dtype\":\"%s\","
                              "\"shape\":[%d,%d,3,3],\"data_offsets\":"
                              "[%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT "]},"
                              "\"features.%d.bias\":{\"dtype\":\"%s\","
                              "\"shape\":[%d],\"data_offsets\":"
                              "[%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT "]}",
                              i ? "," : "", feature_index[i], dtype, c_out[i],
                              c_in[i], at, at + w, feature_index[i], dtype,
                              c_out[i], at + w, at + w + b);
      at += w + b;
    }
  g_string_append (header, "}");
  *data_length = at;
  return g_string_free (header, FALSE);
}

/* The first occurrence of from replaced by to (a case's one defect). */
static char *
replace_once (const char *text, const char *from, const char *to)
{
  const char *at = strstr (text, from);

  g_assert_nonnull (at);
  return g_strdup_printf ("%.*s%s%s", (int)(at - text), text, to,
                          at + strlen (from));
}

/* Writes 8-byte length, header, then a data section of data_length zero
 * bytes (sparse).  header_length may differ from strlen (header) to forge
 * the length field. */
static char *
write_file (const char *name, guint64 header_length, const char *header,
            guint64 data_length)
{
  char *path = g_build_filename (tmp_dir, name, NULL);
  FILE *file = fopen (path, "wb");
  guint64 le = GUINT64_TO_LE (header_length);
  size_t text_length = strlen (header);

  g_assert_nonnull (file);
  g_assert_cmpuint (fwrite (&le, 8, 1, file), ==, 1);
  if (text_length > 0)
    g_assert_cmpuint (fwrite (header, text_length, 1, file), ==, 1);
  g_assert_cmpint (fflush (file), ==, 0);
  g_assert_cmpint (
      ftruncate (fileno (file), (off_t)(8 + text_length + data_length)), ==, 0);
  fclose (file);
  return path;
}

/* Trailing spaces (JSON allows them) until the data starts at 8 + length
 * with (8 + length) % 4 == remainder: decides whether F32 can be used in
 * place. */
static char *
pad_header (const char *header, size_t remainder)
{
  GString *padded = g_string_new (header);

  while ((8 + padded->len) % 4 != remainder)
    g_string_append_c (padded, ' ');
  return g_string_free (padded, FALSE);
}

static char *
write_valid (const char *name, const char *header, guint64 data_length)
{
  return write_file (name, strlen (header), header, data_length);
}

/* Puts bytes at a data offset of a file written by write_file. */
static void
poke (const char *path, guint64 data_offset, const void *bytes, size_t n)
{
  FILE *file = fopen (path, "r+b");
  guint64 header_length;

  g_assert_nonnull (file);
  g_assert_cmpuint (fread (&header_length, 8, 1, file), ==, 1);
  header_length = GUINT64_FROM_LE (header_length);
  g_assert_cmpint (
      fseeko (file, (off_t)(8 + header_length + data_offset), SEEK_SET), ==, 0);
  g_assert_cmpuint (fwrite (bytes, n, 1, file), ==, 1);
  fclose (file);
}

static void
expect_refused (const char *path, int code, const char *problem)
{
  GError *error = NULL;
  StVgg19Weights *weights = st_vgg19_weights_load (path, &error);

  g_assert_null (weights);
  g_assert_error (error, ST_ERROR, code);
  if (g_test_verbose ())
    g_printerr ("  %s\n", error->message);
  /* the user must learn which file, and what is wrong with it */
  g_assert_nonnull (strstr (error->message, path));
  if (strstr (error->message, problem) == NULL)
    g_error ("message “%s” does not say “%s”", error->message, problem);
  g_error_free (error);
}

/* ------------------------------------------------------------ good files */

static void
test_f32_read (void)
{
  guint64 length, offsets[32];
  char *unpadded
      = valid_header ("F32", 4, "{\"preprocess\":\"caffe\"}", &length, offsets);
  char *header = pad_header (unpadded, 0);
  char *path = write_valid ("f32.safetensors", header, length);
  float value = 0.25f, last = -3.5f;
  GError *error = NULL;
  StVgg19Weights *weights;

  poke (path, offsets[2 * 4] + 4 * 7, &value, 4); /* conv3_1 weight[7] */
  poke (path, length - 4, &last, 4);              /* conv5_4 bias[511] */

  weights = st_vgg19_weights_load (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (weights);
  g_assert_cmpint (weights->preprocess, ==, ST_PREPROCESS_CAFFE);
  g_assert_cmpstr (weights->path, ==, path);
  /* read into the loader's own memory, never mapped (issue 13: a mapped
     file that changes under a run kills it with SIGBUS) */
  g_assert_nonnull (weights->converted);
  for (int i = 0; i < ST_VGG19_N_CONV; i++)
    {
      g_assert_cmpint (weights->c_in[i], ==, c_in[i]);
      g_assert_cmpint (weights->c_out[i], ==, c_out[i]);
    }
  g_assert_cmpfloat (weights->weight[4][7], ==, 0.25f);
  g_assert_cmpfloat (weights->weight[4][6], ==, 0.0f);
  g_assert_cmpfloat (weights->bias[15][511], ==, -3.5f);
  st_vgg19_weights_free (weights);
  g_free (unpadded);
  g_free (header);
  g_free (path);
}

static void
test_f32_unaligned (void)
{
  guint64 length, offsets[32];
  char *header = valid_header ("F32", 4, NULL, &length, offsets);
  char *padded = pad_header (header, 2);
  char *path = write_valid ("unaligned.safetensors", padded, length);
  float value = 1.5f;
  GError *error = NULL;
  StVgg19Weights *weights;

  poke (path, offsets[1] + 4 * 63, &value, 4); /* conv1_1 bias[63] */
  weights = st_vgg19_weights_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (weights->preprocess, ==, ST_PREPROCESS_TORCH);
  g_assert_nonnull (weights->converted);
  g_assert_cmpfloat (weights->bias[0][63], ==, 1.5f);
  g_assert_true ((guintptr)weights->weight[3] % sizeof (float) == 0);
  st_vgg19_weights_free (weights);
  g_free (padded);
  g_free (header);
  g_free (path);
}

static void
test_f16 (void)
{
  guint64 length, offsets[32];
  char *header
      = valid_header ("F16", 2, "{\"preprocess\":\"torch\"}", &length, offsets);
  char *path = write_valid ("f16.safetensors", header, length);
  /* 1, -2, the smallest subnormal, 65504 (largest), 2^-14 (smallest
     normal), in little-endian order */
  const guint8 halves[]
      = { 0x00, 0x3c, 0x00, 0xc0, 0x01, 0x00, 0xff, 0x7b, 0x00, 0x04 };
  GError *error = NULL;
  StVgg19Weights *weights;

  poke (path, offsets[2 * 9], halves, sizeof halves);
  weights = st_vgg19_weights_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (weights->weight[9][0], ==, 1.0f);
  g_assert_cmpfloat (weights->weight[9][1], ==, -2.0f);
  g_assert_cmpfloat (weights->weight[9][2], ==, ldexpf (1.0f, -24));
  g_assert_cmpfloat (weights->weight[9][3], ==, 65504.0f);
  g_assert_cmpfloat (weights->weight[9][4], ==, ldexpf (1.0f, -14));
  g_assert_cmpfloat (weights->weight[9][5], ==, 0.0f);
  st_vgg19_weights_free (weights);
  g_free (header);
  g_free (path);
}

static void
test_bf16_and_extras (void)
{
  guint64 length, offsets[32];
  char *header = valid_header ("BF16", 2,
                               "{\"preprocess\":\"caffe\","
                               "\"format\":\"pt\"}",
                               &length, offsets);
  /* torchvision's full file has a classifier; timm's may have others */
  char *extra = g_strdup_printf (
      "{\"classifier.0.bias\":{\"dtype\":\"F32\",\"shape\":[4],"
      "\"data_offsets\":[%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT "]},"
      "\"num_batches\":{\"dtype\":\"I64\",\"shape\":[],"
      "\"data_offsets\":[%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT "]},"
      "\"empty\":{\"dtype\":\"F32\",\"shape\":[0,5],"
      "\"data_offsets\":[0,0]},",
      length, length + 16, length + 16, length + 24);
  char *combined = replace_once (header, "{", extra);
  char *path = write_valid ("bf16.safetensors", combined, length + 24);
  const guint8 value[] = { 0x80, 0x3f, 0x40, 0xc0 }; /* 1.0, -3.0 */
  GError *error = NULL;
  StVgg19Weights *weights;

  poke (path, offsets[2 * 15 + 1], value, sizeof value);
  weights = st_vgg19_weights_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (weights->preprocess, ==, ST_PREPROCESS_CAFFE);
  g_assert_cmpfloat (weights->bias[15][0], ==, 1.0f);
  g_assert_cmpfloat (weights->bias[15][1], ==, -3.0f);
  st_vgg19_weights_free (weights);
  g_free (extra);
  g_free (combined);
  g_free (header);
  g_free (path);
}

/* ------------------------------------------------------------ bad files */

static void
test_missing_and_not_a_file (void)
{
  char *path = g_build_filename (tmp_dir, "does-not-exist.safetensors", NULL);

  expect_refused (path, ST_ERROR_IO, "No such file");
  expect_refused (tmp_dir, ST_ERROR_IO, "not a regular file");
  g_free (path);
}

static void
test_unreadable (void)
{
  guint64 length;
  char *header = valid_header ("F32", 4, NULL, &length, NULL);
  char *path = write_valid ("unreadable.safetensors", header, length);

  /* root reads anything: nothing to test there */
  if (geteuid () == 0)
    g_test_skip ("running as root");
  else
    {
      g_assert_cmpint (g_chmod (path, 0), ==, 0);
      expect_refused (path, ST_ERROR_IO, "ermission");
    }
  g_free (header);
  g_free (path);
}

static void
test_short_files (void)
{
  char *path = g_build_filename (tmp_dir, "short.safetensors", NULL);

  g_assert_true (g_file_set_contents (path, "", 0, NULL));
  expect_refused (path, ST_ERROR_FORMAT, "empty");
  g_assert_true (g_file_set_contents (path, "\x10\0\0", 3, NULL));
  expect_refused (path, ST_ERROR_FORMAT, "too short");
  g_free (path);
}

static void
test_hdf5 (void)
{
  char *path = g_build_filename (tmp_dir, "vgg19_notop.h5", NULL);

  g_assert_true (
      g_file_set_contents (path, "\211HDF\r\n\032\n\0\0\0\0", 12, NULL));
  expect_refused (path, ST_ERROR_FORMAT, "HDF5 file");
  g_free (path);
}

static void
test_header_length (void)
{
  char *path = write_file ("past.safetensors", 1000, "{}", 10);

  expect_refused (path, ST_ERROR_FORMAT, "past the end of the file");
  g_free (path);
  path = write_file ("absurd.safetensors", G_GUINT64_CONSTANT (1) << 62, "{}",
                     10);
  expect_refused (path, ST_ERROR_FORMAT, "absurd header length");
  g_free (path);
  path = write_file ("absurd2.safetensors", 100000001, "{}", 10);
  expect_refused (path, ST_ERROR_FORMAT, "absurd header length");
  g_free (path);
}

static void
test_json (void)
{
  const struct
  {
    const char *header, *problem;
  } cases[] = {
    { "{not json", "not plain JSON" },
    { "{\"not\" json", "not plain JSON" },
    { "{\"a\" 1}", "invalid JSON" },
    { "", "not an object" },
    { "[1, 2]", "not an object" },
    { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},}",
      "invalid JSON" },
    { "{\"__metadata__\":[1]}", "\"__metadata__\" is not a JSON object" },
    { "{\"__metadata__\":{\"preprocess\":\"bgr\"}}", "preprocess “bgr”" },
    { "{\"__metadata__\":{\"preprocess\":3}}", "not a string" },
    { "{\"x\":5}", "not a JSON object" },
    { "{\"x\":{\"shape\":[1],\"data_offsets\":[0,4]}}", "\"dtype\"" },
    { "{\"x\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", "\"shape\"" },
    { "{\"x\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}",
      "shape[0]" },
    { "{\"x\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}",
      "shape[0]" },
    { "{\"x\":{\"dtype\":\"F32\",\"shape\":[1]}}", "data_offsets" },
    { "{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0.0,4]}}",
      "data_offsets is not" },
    { "{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}",
      "data_offsets is not" },
    { "{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[\"0\",4]}}",
      "data_offsets is not" },
    { "{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,4]}}",
      "data_offsets is not" },
    { "{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}",
      "is after end" },
    { "{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,400]}}",
      "past its end" },
    { "{\"x\":{\"dtype\":\"F32\",\"shape\":[1],"
      "\"data_offsets\":[0,99999999999999999999]}}",
      "" },
    { "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}",
      "do not hold its shape in F32" },
    { "{\"x\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,"
      "4294967296,4294967296],\"data_offsets\":[0,0]}}",
      "do not hold its shape" },
    { "{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
      "\"y\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[3,5]}}",
      "overlap" },
    { "{}", "“features.0.weight” (conv1_1) is missing" },
  };

  for (size_t i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      char *name = g_strdup_printf ("json%zu.safetensors", i);
      char *path = write_valid (name, cases[i].header, 64);

      expect_refused (path, ST_ERROR_FORMAT, cases[i].problem);
      g_free (name);
      g_free (path);
    }
}

/* json-glib recurses per level and overflows the stack on deep nesting;
 * the loader must refuse it before the parser runs. */
static void
test_deep_nesting (void)
{
  int depth = 200000;
  char *header = g_malloc (2 * depth + 1);
  char *path;

  memset (header, '[', depth);
  memset (header + depth, ']', depth);
  header[2 * depth] = '\0';
  path = write_valid ("deep.safetensors", header, 0);
  expect_refused (path, ST_ERROR_FORMAT, "nests deeper");
  g_free (path);
  g_free (header);
}

/* Issue 13: nesting hidden from a scan that only knows "..." strings.
 * json-glib's scanner also reads comments and single-quoted strings, so
 * a '"' inside either used to hide the brackets after it from the depth
 * count (then SIGSEGV in the parser).  Only plain JSON is accepted. */
static void
test_hidden_nesting (void)
{
  const char *const prefixes[] = {
    "{\"a\": /* \" */ ", /* C comment holding a quote    */
    "{\"a\": // \"\n",   /* line comment holding a quote */
    "{'\"': ",           /* single-quoted string         */
    "{\"a\": # \"\n",    /* shell-style comment          */
    "{\"a\": x\"",       /* an identifier glued to a quote */
  };

  for (gsize i = 0; i < G_N_ELEMENTS (prefixes); i++)
    {
      int depth = 200000;
      GString *text = g_string_new (prefixes[i]);
      char *name
          = g_strdup_printf ("hidden-%" G_GSIZE_FORMAT ".safetensors", i);
      char *path;

      for (int d = 0; d < depth; d++)
        g_string_append_c (text, '[');
      for (int d = 0; d < depth; d++)
        g_string_append_c (text, ']');
      g_string_append (text, "}");
      path = write_valid (name, text->str, 0);
      expect_refused (path, ST_ERROR_FORMAT, "not plain JSON");
      g_free (path);
      g_free (name);
      g_string_free (text, TRUE);
    }
}

/* Other syntax json-glib would take that JSON does not, each refused
 * with the place it starts. */
static void
test_not_plain_json (void)
{
  const struct
  {
    const char *header, *problem;
  } cases[] = {
    { "{/* c */}", "“/” at byte 1" },
    { "{'a': 1}", "“'” at byte 1" },
    { "{\"a\": 0x10}", "“x” at byte 7" },
    { "{\"a\": \"line\nbreak\"}", "control character (0x0a)" },
    { "{\"a\": \"tab\there\"}", "control character (0x09)" },
    { "{\"a\": \xc3\xa9}", "byte 0xc3 at byte 6" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      char *name
          = g_strdup_printf ("syntax-%" G_GSIZE_FORMAT ".safetensors", i);
      char *path = write_valid (name, cases[i].header, 0);

      expect_refused (path, ST_ERROR_FORMAT, cases[i].problem);
      g_free (path);
      g_free (name);
    }
}

/* A tensor name of megabytes must not become a message of megabytes:
 * the message keeps its start and its end (what is wrong). */
static void
test_long_name (void)
{
  GString *header = g_string_new ("{\"");
  char *path;
  GError *error = NULL;

  for (int i = 0; i < (4 << 20); i++)
    g_string_append_c (header, 'n');
  g_string_append (header, "\": 5}");
  path = write_valid ("long-name.safetensors", header->str, 0);
  g_assert_null (st_vgg19_weights_load (path, &error));
  g_assert_error (error, ST_ERROR, ST_ERROR_FORMAT);
  g_assert_cmpuint (strlen (error->message), <, 400 + strlen (path) + 16);
  g_assert_true (g_str_has_suffix (error->message, "is not a JSON object"));
  g_assert_nonnull (strstr (error->message, " … "));
  g_error_free (error);
  g_string_free (header, TRUE);
  g_free (path);
}

/* A FIFO (or any other non-regular file) is refused without waiting for
 * a writer. */
static void
test_fifo (void)
{
  char *path = g_build_filename (tmp_dir, "fifo.safetensors", NULL);

  g_assert_cmpint (mkfifo (path, 0600), ==, 0);
  expect_refused (path, ST_ERROR_IO, "not a regular file");
  g_unlink (path);
  g_free (path);
}

/* Issue 13: the weights live in the loader's own memory, so the file can
 * be truncated, or copied over with other bytes, while a network built on
 * it is in use.  (A mapping died with SIGBUS here, exit status 135.) */
static void
test_file_changes_after_load (void)
{
  guint64 length, offsets[32];
  char *unpadded = valid_header ("F32", 4, NULL, &length, offsets);
  char *header = pad_header (unpadded, 0);
  char *path = write_valid ("changing.safetensors", header, length);
  float value = 0.125f;
  GError *error = NULL;
  StNetwork *net;
  StFeature *features;
  float image[3 * 32 * 32];
  double sum = 0;
  int n;

  poke (path, offsets[2 * 15] + 4 * 100, &value, 4); /* conv5_4 weight */
  net = st_network_load_vgg19 (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (net);

  /* truncated to nothing, then copied over with different, shorter
     contents: what an update or a second download does */
  g_assert_cmpint (truncate (path, 0), ==, 0);
  g_assert_true (g_file_set_contents (path, "not weights any more", -1, NULL));

  for (int i = 0; i < 3 * 32 * 32; i++)
    image[i] = (float)(i % 17) / 17.0f;
  features = st_network_features (net, image, 32, 32, ST_POOLING_AVERAGE, &n);
  g_assert_nonnull (features);
  g_assert_cmpint (n, >, 0);
  for (int i = 0; i < n; i++)
    for (size_t j = 0;
         j < (size_t)features[i].c * features[i].h * features[i].w; j++)
      sum += features[i].data[j];
  g_assert_true (isfinite (sum));
  st_features_free (features, n);
  st_network_free (net);
  g_free (unpadded);
  g_free (header);
  g_free (path);
}

static void
test_nul_in_header (void)
{
  char *path = g_build_filename (tmp_dir, "nul.safetensors", NULL);
  const char bytes[] = "\x04\0\0\0\0\0\0\0{}\0 ";

  g_assert_true (g_file_set_contents (path, bytes, 12, NULL));
  expect_refused (path, ST_ERROR_FORMAT, "NUL byte");
  g_free (path);
}

static void
test_truncated (void)
{
  guint64 length;
  char *header = valid_header ("F32", 4, NULL, &length, NULL);
  char *path = write_valid ("truncated.safetensors", header, length - 1);

  expect_refused (path, ST_ERROR_FORMAT, "truncated");
  g_free (path);
  path = write_valid ("no-data.safetensors", header, 0);
  expect_refused (path, ST_ERROR_FORMAT, "past its end");
  g_free (path);
  g_free (header);
}

/* One defect in an otherwise valid VGG19 header. */
static void
test_architecture (void)
{
  const struct
  {
    const char *from, *to, *problem;
  } cases[] = {
    /* same element count, so only the architecture check can see it */
    { "\"shape\":[64,3,3,3]", "\"shape\":[3,64,3,3]",
      "(conv1_1) has shape [3, 64, 3, 3]; VGG19 needs [64, 3, 3, 3]" },
    { "\"shape\":[64,3,3,3]", "\"shape\":[64,27]", "VGG19 needs" },
    { "\"shape\":[64,3,3,3]", "\"shape\":[64,3,9,1]", "VGG19 needs" },
    { "\"shape\":[64,3,3,3]", "\"shape\":[64,3,3,3,1]", "VGG19 needs" },
    { "\"features.0.bias\":{\"dtype\":\"F32\",\"shape\":[64]",
      "\"features.0.bias\":{\"dtype\":\"F32\",\"shape\":[8,8]",
      "(conv1_1) has shape [8, 8]; VGG19 needs [64]" },
    { "features.34.bias", "features.35.bias",
      "“features.34.bias” (conv5_4) is missing" },
    { "features.19.weight", "features.19.kernel",
      "“features.19.weight” (conv4_1) is missing" },
    { "\"dtype\":\"F32\"", "\"dtype\":\"F16\"",
      "do not hold its shape in F16" },
    { "\"dtype\":\"F32\"", "\"dtype\":\"I32\"",
      "is I32; only F32, F16 and BF16" },
    { "\"dtype\":\"F32\"", "\"dtype\":\"Q4\"", "is Q4; only F32" },
  };
  guint64 length;
  char *header = valid_header ("F32", 4, NULL, &length, NULL);

  for (size_t i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      char *name = g_strdup_printf ("arch%zu.safetensors", i);
      char *bad = replace_once (header, cases[i].from, cases[i].to);
      char *path = write_valid (name, bad, length);

      expect_refused (path, ST_ERROR_FORMAT, cases[i].problem);
      /* the arrays are 80 MB of address space each; keep the folder
         small */
      g_unlink (path);
      g_free (bad);
      g_free (name);
      g_free (path);
    }
  g_free (header);
}

static void
test_overlap_in_vgg (void)
{
  guint64 length, offsets[32];
  char *header = valid_header ("F32", 4, NULL, &length, offsets);
  char *from = g_strdup_printf ("[%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT "]",
                                offsets[2], offsets[3]);
  /* conv1_2's weight moved one float back: same size, shared bytes */
  char *to = g_strdup_printf ("[%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT "]",
                              offsets[2] - 4, offsets[3] - 4);
  char *bad = replace_once (header, from, to);
  char *path = write_valid ("overlap.safetensors", bad, length);

  expect_refused (path, ST_ERROR_FORMAT,
                  "“features.0.bias” and “features.2.weight” overlap");
  g_unlink (path);
  g_free (path);
  g_free (bad);
  g_free (to);
  g_free (from);
  g_free (header);
}

static void
test_not_finite (void)
{
  guint64 length, offsets[32];
  char *header = valid_header ("F32", 4, NULL, &length, offsets);
  char *path = write_valid ("nan.safetensors", header, length);
  float nan_value = NAN, inf_value = -INFINITY;
  const guint8 f16_inf[] = { 0x00, 0x7c };

  poke (path, offsets[2 * 12] + 4 * 1000, &nan_value, 4);
  expect_refused (path, ST_ERROR_FORMAT,
                  "“features.28.weight” (conv5_1) holds NaN at element 1000");
  g_unlink (path);
  g_free (path);
  path = write_valid ("inf.safetensors", header, length);
  poke (path, offsets[1] + 4, &inf_value, 4);
  expect_refused (path, ST_ERROR_FORMAT, "holds an infinite value");
  g_unlink (path);
  g_free (path);
  g_free (header);

  header = valid_header ("F16", 2, NULL, &length, offsets);
  path = write_valid ("inf16.safetensors", header, length);
  poke (path, offsets[30], f16_inf, 2);
  expect_refused (path, ST_ERROR_FORMAT,
                  "(conv5_4) holds an infinite value at element 0");
  g_unlink (path);
  g_free (path);
  g_free (header);
}

static void
test_free_null (void)
{
  st_vgg19_weights_free (NULL);
}

/* ----------------------------------------------------------------- main */

static void
remove_tree (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      char *child = g_build_filename (path, name, NULL);
      g_unlink (child);
      g_free (child);
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
  tmp_dir = g_dir_make_tmp ("st-safetensors-XXXXXX", NULL);
  g_assert_nonnull (tmp_dir);

  g_test_add_func ("/safetensors/f32", test_f32_read);
  g_test_add_func ("/safetensors/f32-unaligned", test_f32_unaligned);
  g_test_add_func ("/safetensors/f16", test_f16);
  g_test_add_func ("/safetensors/bf16-and-extras", test_bf16_and_extras);
  g_test_add_func ("/safetensors/missing", test_missing_and_not_a_file);
  g_test_add_func ("/safetensors/unreadable", test_unreadable);
  g_test_add_func ("/safetensors/short", test_short_files);
  g_test_add_func ("/safetensors/hdf5", test_hdf5);
  g_test_add_func ("/safetensors/header-length", test_header_length);
  g_test_add_func ("/safetensors/json", test_json);
  g_test_add_func ("/safetensors/deep-nesting", test_deep_nesting);
  g_test_add_func ("/safetensors/hidden-nesting", test_hidden_nesting);
  g_test_add_func ("/safetensors/not-plain-json", test_not_plain_json);
  g_test_add_func ("/safetensors/fifo", test_fifo);
  g_test_add_func ("/safetensors/long-name", test_long_name);
  g_test_add_func ("/safetensors/file-changes-after-load",
                   test_file_changes_after_load);
  g_test_add_func ("/safetensors/nul", test_nul_in_header);
  g_test_add_func ("/safetensors/truncated", test_truncated);
  g_test_add_func ("/safetensors/architecture", test_architecture);
  g_test_add_func ("/safetensors/overlap", test_overlap_in_vgg);
  g_test_add_func ("/safetensors/not-finite", test_not_finite);
  g_test_add_func ("/safetensors/free-null", test_free_null);
  status = g_test_run ();

  remove_tree (tmp_dir);
  g_free (tmp_dir);
  return status;
}
