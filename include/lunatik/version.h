// Copyright The Lunatik authors. SPDX-License-Identifier: GPL-2.0 OR MIT
//
// The one place the version is written: the kernel module reports it as
// MODULE_VERSION (/sys/module/lunatik/version), CMake reads it for
// lunatik.pc and the DKMS tree, and the CLI prints it.

#ifndef LUNATIK_INCLUDE_LUNATIK_VERSION_H_
#define LUNATIK_INCLUDE_LUNATIK_VERSION_H_

#define LUNATIK_VERSION "0.1.0"

#endif  // LUNATIK_INCLUDE_LUNATIK_VERSION_H_
