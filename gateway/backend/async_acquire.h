#pragma once
// Lets a coroutine co_await a lease from the pool. The pool calls back on
// whatever thread finished the start; the completion is posted back to the
// awaiting coroutine's executor.

#include <boost/asio/async_result.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/post.hpp>

#include "runtime/pool_api.h"

namespace mcpgw::gateway {

template <typename CompletionToken>
auto AsyncAcquire(runtime::InstancePoolApi& pool, runtime::AcquireRequest request,
                  CompletionToken&& token) {
  return boost::asio::async_initiate<CompletionToken,
                                     void(absl::StatusOr<runtime::Lease>)>(
      [&pool](auto handler, runtime::AcquireRequest request) {
        auto executor = boost::asio::get_associated_executor(handler);
        pool.Acquire(
            std::move(request),
            [handler = std::move(handler), executor](
                absl::StatusOr<runtime::Lease> result) mutable {
              boost::asio::post(
                  executor, [handler = std::move(handler),
                             result = std::move(result)]() mutable {
                    std::move(handler)(std::move(result));
                  });
            });
      },
      token, std::move(request));
}

}  // namespace mcpgw::gateway
