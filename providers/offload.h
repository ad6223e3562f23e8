// Runs blocking work (model loads, tokenisation, embeddings) on a thread pool and resumes the
// calling coroutine on its own executor, so I/O threads never stall.
#pragma once

#include <boost/asio.hpp>

#include <exception>
#include <optional>
#include <type_traits>

namespace switchyard {

// f is taken by reference and must be a named local of the caller: GCC 12 destroys a by-value
// coroutine argument built from a lambda temporary twice. Not co_spawn either: GCC 12
// miscompiles co_spawn's entry point for move-only results.
template <class F>
boost::asio::awaitable<std::invoke_result_t<F>> offload(boost::asio::thread_pool& pool, F& f) {
    namespace asio = boost::asio;
    using R = std::invoke_result_t<F>;
    std::optional<R> result;
    std::exception_ptr error;
    co_await asio::async_initiate<decltype(asio::use_awaitable), void()>(
        [&pool, &f, &result, &error](auto handler) {
            asio::post(pool, [&f, &result, &error, handler = std::move(handler)]() mutable {
                try {
                    result.emplace(f());
                } catch (...) {
                    error = std::current_exception();
                }
                auto ex = asio::get_associated_executor(handler);
                asio::post(ex, std::move(handler));
            });
        },
        asio::use_awaitable);
    if (error) std::rethrow_exception(error);
    co_return std::move(*result);
}

}  // namespace switchyard
