#pragma once
// Names for the project's enums in QCOMPARE / QTRY_COMPARE failure messages.
//
// QtTest prints a failed comparison with QTest::toString(value) and delete[]s what it returns. The
// project names its enums with nameOf(), never a free toString(): one next to the enum is found by
// argument-dependent lookup ahead of QtTest's own, and QtTest then freed its string literal, turning
// a failing comparison into an abort (munmap_chunk(): invalid pointer). Without these
// specializations QtTest prints the enum's number, which is safe too.
//
//   AIGW_QTEST_NAMES(aigw::proxy::ServerState)   // at namespace scope, before the first QCOMPARE

#include <QtTest>

#define AIGW_QTEST_NAMES(Type)                                                      \
    namespace QTest {                                                               \
    template <>                                                                     \
    inline char* toString<Type>(const Type& value) { return qstrdup(nameOf(value)); } \
    }
