// The changes a transaction is made of, as data: a split project routes each one to the file
// that holds its path. Private to flatland_training.
#pragma once

#include <string>

#include "flatland/training/project_file.h"
#include "hdf5_handle.h"

namespace flatland::training {

struct ProjectFile::Transaction::Op {
  enum class Kind { Put, PutDataset, SetAttributes, Remove };
  Kind kind = Kind::Put;
  std::string path;       // absolute in the project ("/runs/sgd/metrics/epoch")
  Node node;              // Put
  Array array;            // PutDataset
  Attributes attributes;  // SetAttributes
};

namespace project_ops {

using Op = ProjectFile::Transaction::Op;

// Applies `op` to a single-file project (a split one routes ops itself: project_split.cpp).
void apply(hid_t file, const Op& op);

}  // namespace project_ops
}  // namespace flatland::training
