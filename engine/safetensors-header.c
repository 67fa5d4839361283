/* safetensors-header.c - the bytes before a .safetensors file's data:
 * 8 bytes, a little-endian unsigned header length N, then N bytes of JSON
 * (the format is described in safetensors.c).
 *
 * The header is the first thing a hostile file controls: its length is
 * bounded before anything is allocated, and its text is scanned before
 * json-glib sees it, so that the parser's recursion and the tree it
 * builds are bounded too.  What the JSON says is checked in
 * safetensors-tensors.c. */

#include "safetensors.h"

#include <string.h>

/* Real headers are a few kilobytes (a large language model's is a few
 * megabytes); a length beyond this is corruption, not a network. */
#define HEADER_MAX_BYTES (100u * 1000u * 1000u)
/* json-glib parses recursively and overflows the stack on deep nesting
 * (a 100,000-deep "[[[[..." crashes it), and builds a node per value
 * (~100 bytes each): both are bounded before the parser sees the text.
 * A valid header nests three deep. */
#define HEADER_MAX_DEPTH 64
#define HEADER_MAX_VALUES 2000000

/* A character JSON does not allow outside strings, at byte i. */
static gboolean
not_json (guchar c, gsize i, const char *path, GError **error)
{
  char shown[16];

  if (c > 0x20 && c < 0x7f)
    g_snprintf (shown, sizeof shown, "“%c”", c);
  else
    g_snprintf (shown, sizeof shown, "byte 0x%02x", c);
  st_safetensors_error (error, ST_ERROR_FORMAT, path,
                        "the header is not plain JSON: %s at byte "
                        "%" G_GSIZE_FORMAT " (comments, single quotes and "
                        "other extensions are not allowed)",
                        shown, i);
  return FALSE;
}

/* Bounds what json-glib will be asked to build (see HEADER_MAX_DEPTH).
 *
 * The header is JSON, and JSON alone is accepted: json-glib's scanner also
 * takes comments, single-quoted strings and identifiers, and structure
 * hidden from a scan that only knows "..." strings (a '"' inside a
 * comment, say) would still reach its recursion.  So outside strings only
 * JSON's own characters may appear: whitespace, the six structural
 * characters, numbers and the letters of true, false and null.  With that
 * the scan below sees exactly the structure the parser will see, and its
 * depth count is the parser's depth.  Inside strings, control characters
 * (which JSON forbids) and a NUL byte (where the parser would stop
 * silently) are refused too. */
static gboolean
header_prescan (const char *text, gsize length, const char *path,
                GError **error)
{
  gboolean in_string = FALSE, escaped = FALSE;
  int depth = 0;
  guint64 values = 0;

  for (gsize i = 0; i < length; i++)
    {
      guchar c = (guchar)text[i];

      if (c == '\0')
        {
          st_safetensors_error (
              error, ST_ERROR_FORMAT, path,
              "the header contains a NUL byte at %" G_GSIZE_FORMAT, i);
          return FALSE;
        }
      if (in_string)
        {
          if (c < 0x20)
            {
              st_safetensors_error (
                  error, ST_ERROR_FORMAT, path,
                  "the JSON header has a control character (0x%02x) "
                  "inside a string at byte %" G_GSIZE_FORMAT,
                  c, i);
              return FALSE;
            }
          if (escaped)
            escaped = FALSE;
          else if (c == '\\')
            escaped = TRUE;
          else if (c == '"')
            in_string = FALSE;
          continue;
        }
      switch (c)
        {
        case '"':
          in_string = TRUE;
          values++;
          break;
        case '[':
        case '{':
          if (++depth > HEADER_MAX_DEPTH)
            {
              st_safetensors_error (
                  error, ST_ERROR_FORMAT, path,
                  "the JSON header nests deeper than %d levels",
                  HEADER_MAX_DEPTH);
              return FALSE;
            }
          values++;
          break;
        case ']':
        case '}':
          depth--;
          break;
        case ',':
          values++;
          break;
        /* clang-format off */
        case ' ': case '\t': case '\n': case '\r': case ':':
        case '0': case '1': case '2': case '3': case '4':
        case '5': case '6': case '7': case '8': case '9':
        case '-': case '+': case '.': case 'e': case 'E':
        /* true, false, null */
        case 't': case 'r': case 'u': case 'f': case 'a': case 'l':
        case 's': case 'n':
          /* clang-format on */
          break;
        default:
          return not_json (c, i, path, error);
        }
      if (values > HEADER_MAX_VALUES)
        {
          st_safetensors_error (error, ST_ERROR_FORMAT, path,
                                "the JSON header has more than %d values",
                                HEADER_MAX_VALUES);
          return FALSE;
        }
    }
  return TRUE;
}

/* The header's length, from the first 8 bytes of a file of `length`
 * bytes: FALSE unless the header fits in the file and in HEADER_MAX_BYTES. */
static gboolean
header_length_read (int fd, guint64 length, const char *path,
                    guint64 *header_length, GError **error)
{
  guint8 start[8];

  if (length == 0)
    {
      st_safetensors_error (error, ST_ERROR_FORMAT, path, "the file is empty");
      return FALSE;
    }
  if (length < 8)
    {
      st_safetensors_error (error, ST_ERROR_FORMAT, path,
                            "the file has %" G_GUINT64_FORMAT
                            " bytes, too short for a "
                            "safetensors header",
                            length);
      return FALSE;
    }
  if (!st_safetensors_read_at (fd, 0, start, 8, path, error))
    return FALSE;
  /* the likeliest wrong file is the Keras download itself */
  if (memcmp (start, "\211HDF\r\n\032\n", 8) == 0)
    {
      st_safetensors_error (
          error, ST_ERROR_FORMAT, path,
          "this is an HDF5 file (Keras weights?), not safetensors; "
          "install it with “gimp-style-transfer-fetch-vgg19 --from "
          "FILE” (weights/fetch-vgg19 in a source tree)");
      return FALSE;
    }
  memcpy (header_length, start, 8);
  *header_length = GUINT64_FROM_LE (*header_length);
  if (*header_length > HEADER_MAX_BYTES)
    {
      st_safetensors_error (error, ST_ERROR_FORMAT, path,
                            "absurd header length %" G_GUINT64_FORMAT " bytes "
                            "(not a safetensors file?)",
                            *header_length);
      return FALSE;
    }
  if (*header_length > length - 8)
    {
      st_safetensors_error (
          error, ST_ERROR_FORMAT, path,
          "the header length (%" G_GUINT64_FORMAT " bytes) runs past "
          "the end of the file (%" G_GUINT64_FORMAT " bytes): truncated "
          "or not a safetensors file",
          *header_length, length);
      return FALSE;
    }
  return TRUE;
}

JsonParser *
st_safetensors_header (int fd, guint64 length, const char *path,
                       guint64 *data_start, GError **error)
{
  guint64 header_length;
  char *header;
  JsonParser *parser = NULL;
  GError *json_error = NULL;
  JsonNode *root;

  if (!header_length_read (fd, length, path, &header_length, error))
    return NULL;
  header = g_try_malloc (header_length + 1);
  if (header == NULL)
    {
      st_safetensors_error (
          error, ST_ERROR_MEMORY, path,
          "out of memory: no room for a header of %" G_GUINT64_FORMAT " bytes",
          header_length);
      return NULL;
    }
  if (!st_safetensors_read_at (fd, 8, header, header_length, path, error))
    goto fail;
  header[header_length] = '\0';
  if (!header_prescan (header, header_length, path, error))
    goto fail;

  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, header, (gssize)header_length,
                                   &json_error))
    {
      st_safetensors_error (error, ST_ERROR_FORMAT, path,
                            "invalid JSON header (%s)", json_error->message);
      g_error_free (json_error);
      goto fail;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      st_safetensors_error (error, ST_ERROR_FORMAT, path,
                            "the JSON header is not an object");
      goto fail;
    }
  g_free (header);
  *data_start = 8 + header_length;
  return parser;

fail:
  if (parser != NULL)
    g_object_unref (parser);
  g_free (header);
  return NULL;
}
