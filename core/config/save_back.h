#pragma once
// Save-back: edits made to a Config written into the YAML files it was read from, in place.
//
// An export rewrites every line (comments, key order and quoting are lost), so a GitOps diff of it
// shows the whole file. Save-back instead patches the user's text: for each object of the edited
// Config, the exporter's view of its document before and after the edit are compared node by node,
// and only what differs is written, at the place it was read from (marks of the YamlTree):
//   - a changed scalar replaces exactly its own characters, in its quoting style when the new value
//     allows it (a trailing `# comment` stays);
//   - a new key is inserted as `key: value` lines at the mapping's indentation, right after the key
//     that precedes it in the exported order (nested mappings written in block style);
//   - a removed key or list item deletes its lines; a list's new items are inserted after their
//     neighbours, at the list's indentation;
//   - a value that cannot be patched that way (a flow collection, a type change, a block scalar) is
//     rewritten from its key's colon to its end;
//   - an object the edited Config no longer has loses its document (or list item);
//   - an object the edited Config adds is appended, as a new `---` document, to the file the caller
//     names (SaveBackOptions::newObjectsFile).
// Every file with a change is then read back and exported again: it must export to exactly what the
// edited Config exports for its documents. When it does not (a construct the patcher did not foresee),
// the documents concerned are rewritten whole by the exporter and the result says so (notes); when even
// that does not read back, the file is an error and no text is produced for it. Nothing here writes to
// disk: the caller writes FileChange::after (after showing unifiedDiff(), config/text_diff.h).

#include <string>
#include <vector>

#include "common/result.h"
#include "config/loader.h"
#include "config/model.h"

namespace aigw::config {

struct SaveBackOptions {
    /// Where objects of the edited Config that no source holds are appended: the fileName of one of
    /// the sources, or another file, whose current text is `newObjectsText` (empty for a new file).
    /// Empty: such objects are an error.
    std::string newObjectsFile;
    std::string newObjectsText;
};

struct FileChange {
    std::string fileName;
    std::string before;
    std::string after;
    bool changed() const { return before != after; }
};

struct SaveBackResult {
    /// Every source, in order, then the new-objects file when it is not one of them. `after` is
    /// `before` where nothing changed.
    std::vector<FileChange> files;
    /// What the caller should tell the user: documents rewritten whole (their comments lost), ...
    std::vector<std::string> notes;
    /// Malformed sources, new objects without a target file, a file that would not read back as the
    /// edited Config. Nothing may be written when this is not empty.
    std::vector<Error> errors;
    /// "Kind namespace/name" of each object the edited Config adds (no source holds it): these go
    /// to SaveBackOptions::newObjectsFile, and without one they are an error.
    std::vector<std::string> newObjects;
    bool ok() const { return errors.empty(); }
    bool changed() const;
    /// The unified diff of every changed file (config/text_diff.h), in file order.
    std::string diff() const;
};

/// Writes `edited` back into `sources`, the texts it was loaded from (loadSources(sources), then
/// edited: typed objects changed, added or removed; objects are matched by kind, namespace and name).
SaveBackResult saveBack(const std::vector<Source>& sources, const Config& edited, const SaveBackOptions& options = {});

/// Writes every changed file of `result` (nothing when it has errors). Each file must still hold its
/// `before` text (else it changed on disk since it was read: an error); new files must not exist
/// yet unless `before` is their text. Every file is first written next to itself and only then
/// renamed over it, so an unwritable file leaves all of them untouched. Errors name the file.
std::vector<Error> writeChanges(const SaveBackResult& result);

}  // namespace aigw::config
