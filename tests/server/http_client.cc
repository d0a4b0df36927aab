#include "tests/server/http_client.h"

#include <httplib.h>

namespace wersa::testing_support {

HttpResponse HttpGet(int port, const std::string& path,
                     const std::map<std::string, std::string>& query) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(10);
  client.set_read_timeout(10);
  client.set_write_timeout(10);
  httplib::Params params(query.begin(), query.end());
  const httplib::Result result = client.Get(path, params, httplib::Headers());
  HttpResponse response;
  if (!result) return response;
  response.status = result->status;
  response.content_type = result->get_header_value("Content-Type");
  response.body = result->body;
  return response;
}

}  // namespace wersa::testing_support
