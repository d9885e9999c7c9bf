#pragma once
// A unified diff of two texts, as `diff -u` prints it: `---`/`+++` headers, `@@ -a,b +c,d @@` hunks
// with `context` lines around each change, `\ No newline at end of file` where a side's last line
// has none. Used by save-back to show a pending change (CLI and GUI) and by its tests.

#include <string>

namespace aigw::config {

/// Empty when `before == after`. Lines are compared whole (Myers' O(ND) shortest edit script after
/// the common head and tail are cut off, so a few edits in a large file stay cheap).
std::string unifiedDiff(const std::string& before, const std::string& after, const std::string& fromName,
                        const std::string& toName, int context = 3);

}  // namespace aigw::config
