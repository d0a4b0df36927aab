#ifndef WERSA_TESTS_SANITIZERS_H_
#define WERSA_TESTS_SANITIZERS_H_

// Which sanitizer this test program is built with; it and the programs it
// starts are built together, so the answer holds for them too. GCC defines
// __SANITIZE_*__; clang answers __has_feature, which older GCC lacks.
#if defined(__has_feature)
#define WERSA_TESTS_HAS_FEATURE(feature) __has_feature(feature)
#else
#define WERSA_TESTS_HAS_FEATURE(feature) 0
#endif

namespace wersa::testing_support {

#if defined(__SANITIZE_ADDRESS__) || WERSA_TESTS_HAS_FEATURE(address_sanitizer)
inline constexpr bool kAddressSanitizer = true;
#else
inline constexpr bool kAddressSanitizer = false;
#endif

#if defined(__SANITIZE_THREAD__) || WERSA_TESTS_HAS_FEATURE(thread_sanitizer)
inline constexpr bool kThreadSanitizer = true;
#else
inline constexpr bool kThreadSanitizer = false;
#endif

}  // namespace wersa::testing_support

#undef WERSA_TESTS_HAS_FEATURE

#endif  // WERSA_TESTS_SANITIZERS_H_
