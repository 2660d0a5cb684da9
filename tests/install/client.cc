// SPDX-License-Identifier: MIT
// A client of the installed liblunatik, built with lunatik.pc.
#include <lunatik/session.h>

#include <iostream>
int main() {
  std::unique_ptr<lunatik::Session> session;
  lunatik::Status status = lunatik::Session::Open(&session);
  std::vector<lunatik::StateInfo> states;
  if (status.ok()) status = session->List(&states);
  if (!status.ok()) return std::cerr << status.message() << '\n', 1;
  std::cout << "states: " << states.size() << '\n';
}
