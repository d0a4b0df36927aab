#ifndef WERSA_MODEL_TRAIN_TAR_READER_H_
#define WERSA_MODEL_TRAIN_TAR_READER_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace wersa::train {

// Receives one regular file of an archive: its name as stored (prefix and
// long-name extensions applied) and its bytes.
using TarFileVisitor =
    std::function<absl::Status(absl::string_view name, std::string contents)>;

// Calls `visit` for every regular file of the tar archive at `path`, in
// archive order, through libarchive: ustar, GNU and POSIX pax archives,
// gzip-compressed or not. Directories, links and other non-regular entries
// are skipped. A missing file is NOT_FOUND; a corrupt or truncated gzip
// stream, a bad header, content that is not a tar archive and an entry cut
// short are DATA_LOSS; every message names `path`. (Like GNU tar, libarchive
// accepts an archive that ends at an entry boundary without its zero
// blocks.) A non-OK status from `visit` stops the walk and is returned
// unchanged.
absl::Status ForEachTarFile(const std::string& path,
                            const TarFileVisitor& visit);

}  // namespace wersa::train

#endif  // WERSA_MODEL_TRAIN_TAR_READER_H_
