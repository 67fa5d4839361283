/* safetensors.h - what the files of the .safetensors reader share.
 *
 *   safetensors-header.c   the bytes before the data: the header's length
 *                          and its JSON, bounded and checked before and
 *                          while it is parsed;
 *   safetensors-tensors.c  the tensor table in that JSON: each entry
 *                          checked against itself and the data, no two
 *                          overlapping, the 32 VGG19 needs found with
 *                          their shapes;
 *   safetensors.c          the load: opening the file, reading and
 *                          widening the 32 tensors into owned memory;
 *   safetensors-io.c       below the three: exact reads, and the
 *                          messages every check ends in.
 *
 * Not for other files: they call st_vgg19_weights_load (internal.h). */
#ifndef ST_SAFETENSORS_H
#define ST_SAFETENSORS_H

#include "internal.h"

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum
{
  ST_DTYPE_F32,
  ST_DTYPE_F16,
  ST_DTYPE_BF16,
  ST_DTYPE_OTHER /* any other safetensors dtype: fine in an extra tensor */
} StDtype;

/* One entry of the header, checked. */
typedef struct
{
  const char *name; /* owned by the JSON tree */
  StDtype dtype;
  const char *dtype_name;
  guint64 elements;
  int rank;
  guint64 shape[4];   /* the first 4 dimensions */
  guint64 begin, end; /* bytes, from the start of the data */
} StTensorInfo;

/* The 32 tensors VGG19 needs: 2 * conv + (bias ? 1 : 0). */
#define ST_SAFETENSORS_WANTED (2 * ST_VGG19_N_CONV)

/* safetensors-io.c: sets error to "PATH: problem", the problem made safe to
 * print on one line and bounded in length. */
void st_safetensors_error (GError **error, int code, const char *path,
                           const char *format, ...) G_GNUC_PRINTF (4, 5);
/* safetensors-io.c: exactly n bytes at offset `at`, or ST_ERROR_IO. */
gboolean st_safetensors_read_at (int fd, guint64 at, void *buffer, gsize n,
                                 const char *path, GError **error);

/* safetensors-header.c: reads the header of the file fd (length bytes)
 * and parses it; the parser's root is a JSON object.  *data_start is
 * where the data begin.  NULL with error set for any defect. */
JsonParser *st_safetensors_header (int fd, guint64 length, const char *path,
                                   guint64 *data_start, GError **error);

/* safetensors-tensors.c: checks every entry of the header's root against
 * the data's length, reads __metadata__.preprocess, and fills wanted with
 * the 32 tensors VGG19 needs; *total is their elements. */
gboolean st_safetensors_tensors (JsonObject *root, guint64 data_length,
                                 StTensorInfo wanted[ST_SAFETENSORS_WANTED],
                                 StPreprocess *preprocess, guint64 *total,
                                 const char *path, GError **error);

G_END_DECLS

#endif
