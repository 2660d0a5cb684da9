// Copyright The Lunatik authors. SPDX-License-Identifier: MIT

#include "client/data_queues.h"

#include <utility>

namespace lunatik {

void DataQueues::Push(std::string_view state, std::string data) {
  auto it = queues_.find(state);
  if (it == queues_.end()) it = queues_.emplace(state, Queue()).first;
  it->second.data.push_back(std::move(data));
}

bool DataQueues::Pop(std::string_view state, std::string* data) {
  auto it = queues_.find(state);
  if (it == queues_.end() || it->second.data.empty()) return false;
  *data = std::move(it->second.data.front());
  it->second.data.pop_front();
  // Empty queues are erased so that states come and go without growth.
  if (it->second.data.empty() && !it->second.gone) queues_.erase(it);
  return true;
}

void DataQueues::MarkGone(std::string_view state) {
  auto it = queues_.find(state);
  if (it == queues_.end()) it = queues_.emplace(state, Queue()).first;
  it->second.gone = true;
}

bool DataQueues::TakeGone(std::string_view state) {
  auto it = queues_.find(state);
  if (it == queues_.end() || !it->second.gone || !it->second.data.empty()) {
    return false;
  }
  queues_.erase(it);
  return true;
}

void DataQueues::Drop(std::string_view state) {
  auto it = queues_.find(state);
  if (it != queues_.end()) queues_.erase(it);
}

size_t DataQueues::Count(std::string_view state) const {
  auto it = queues_.find(state);
  return it == queues_.end() ? 0 : it->second.data.size();
}

}  // namespace lunatik
