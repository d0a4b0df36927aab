#ifndef WERSA_TESTS_SANITIZERS_H_
#define WERSA_TESTS_SANITIZERS_H_

// Which sanitizer this test program is built with; it and the programs it
// starts are built together, so the answer holds for them too. GCC defines
// __SANITIZE_*__; clang answers __has_feature.
namespace wersa::testing_support {

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kAddressSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kAddressSanitizer = true;
#else
inline constexpr bool kAddressSanitizer = false;
#endif
#else
inline constexpr bool kAddressSanitizer = false;
#endif

#if defined(__SANITIZE_THREAD__)
inline constexpr bool kThreadSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
inline constexpr bool kThreadSanitizer = true;
#else
inline constexpr bool kThreadSanitizer = false;
#endif
#else
inline constexpr bool kThreadSanitizer = false;
#endif

}  // namespace wersa::testing_support

#endif  // WERSA_TESTS_SANITIZERS_H_
