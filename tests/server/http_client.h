#ifndef WERSA_TESTS_SERVER_HTTP_CLIENT_H_
#define WERSA_TESTS_SERVER_HTTP_CLIENT_H_

#include <map>
#include <string>

namespace wersa::testing_support {

struct HttpResponse {
  int status = 0;  // 0: no answer (nothing listening, timeout)
  std::string content_type;
  std::string body;
};

// GET http://127.0.0.1:port/path?query (query parameters URL-encoded), with
// a 10 s timeout.
HttpResponse HttpGet(int port, const std::string& path,
                     const std::map<std::string, std::string>& query = {});

}  // namespace wersa::testing_support

#endif  // WERSA_TESTS_SERVER_HTTP_CLIENT_H_
