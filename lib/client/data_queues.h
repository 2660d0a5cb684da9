// Copyright The Lunatik authors. SPDX-License-Identifier: MIT
//
// Data that kernel states sent to a session and that nobody received yet,
// one first-in first-out queue per state, so that receiving for one state
// never takes another state's data; and which of those states the kernel
// said are gone.

#ifndef LUNATIK_LIB_CLIENT_DATA_QUEUES_H_
#define LUNATIK_LIB_CLIENT_DATA_QUEUES_H_

#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace lunatik {

class DataQueues {
 public:
  // Appends `data` to the queue of `state`.
  void Push(std::string_view state, std::string data);

  // Moves the oldest data of `state` into *data. Returns false when the
  // queue of `state` is empty.
  bool Pop(std::string_view state, std::string* data);

  // Notes that `state` is gone, once the data queued for it is taken.
  void MarkGone(std::string_view state);

  // Returns true, and forgets the mark, when `state` is marked gone and
  // no data waits for it.
  bool TakeGone(std::string_view state);

  // Forgets everything queued for `state`, and its mark, e.g. once it is
  // destroyed, so a new state of the same name does not receive the old
  // one's data.
  void Drop(std::string_view state);

  // Returns how many pieces of data wait for `state`.
  size_t Count(std::string_view state) const;

 private:
  struct Queue {
    std::deque<std::string> data;
    bool gone = false;
  };

  std::map<std::string, Queue, std::less<>> queues_;
};

}  // namespace lunatik

#endif  // LUNATIK_LIB_CLIENT_DATA_QUEUES_H_
