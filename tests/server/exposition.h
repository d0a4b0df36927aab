#ifndef WERSA_TESTS_SERVER_EXPOSITION_H_
#define WERSA_TESTS_SERVER_EXPOSITION_H_

#include <map>
#include <optional>
#include <string>

namespace wersa::testing_support {

// The value of the sample `name{labels...}` in a Prometheus text exposition
// (the labels in any order, others may be present); nullopt when there is no
// such sample, or more than one.
std::optional<double> Sample(
    const std::string& text, const std::string& name,
    const std::map<std::string, std::string>& labels = {});

// Scrapes http://127.0.0.1:port/metrics until `name` (without labels) reads
// at least `value`, for at most 30 s; whether it did.
bool AwaitSampleAtLeast(int port, const std::string& name, double value);

}  // namespace wersa::testing_support

#endif  // WERSA_TESTS_SERVER_EXPOSITION_H_
