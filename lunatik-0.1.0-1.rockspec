-- SPDX-License-Identifier: MIT
-- The user-space Lua modules `lunatik` and `memory`, for luarocks:
--   luarocks --lua-version=5.4 make
-- builds them from this checkout with CMake and installs them alone.
rockspec_format = "3.0"
package = "lunatik"
version = "0.1.0-1"
source = {
  url = "file://.",
}
description = {
  summary = "Drive Lua states in the Linux kernel (lunatik.ko) from Lua",
  detailed = [[
The module `lunatik` creates named Lua states in the kernel module
lunatik.ko, runs code in them and exchanges data with them; `memory` holds
binary data, the same in user space and in kernel states.]],
  license = "MIT",
}
dependencies = {
  "lua >= 5.4, < 5.5",
}
external_dependencies = {
  MNL = { header = "libmnl/libmnl.h" },
}
build = {
  type = "cmake",
  variables = {
    CMAKE_BUILD_TYPE = "Release",
    CMAKE_INSTALL_PREFIX = "$(PREFIX)",
    LUNATIK_LUA_INSTALL_DIR = "$(LIBDIR)",
    LUNATIK_INSTALL_LUA_ONLY = "ON",
    LUNATIK_BUILD_TESTS = "OFF",
  },
}
