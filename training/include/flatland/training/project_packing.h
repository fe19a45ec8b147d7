// Moving a project between its two layouts (docs/project-file.md, "Storage"): one file to send
// to a colleague, and the split layout whose commits cost what they change.
#pragma once

#include <string>

namespace flatland::training {

// Writes the whole project at `from` (either layout) into the one self-contained file `to`. An
// existing `to` is replaced atomically; `to` must not be `from`. Writers of `from` wait while it
// is read, so the copy is one consistent state. The copy is built in memory (as a commit of a
// single-file project is), so it needs about the project's size in free memory.
void packProject(const std::string& from, const std::string& to);

// Writes the project at `from` (either layout) as a split project at `to`. With `to` = `from` the
// project is converted in place: its file is replaced by the new index in one rename, so a crash
// leaves the old file whole. Holds one run's metrics or one checkpoint in memory at a time.
// Returns false (and changes nothing) when `from` = `to` is split already.
bool unpackProject(const std::string& from, const std::string& to);

}  // namespace flatland::training
