// The one translation unit that compiles Asio's, Asio SSL's and Beast's non-template code
// (BOOST_ASIO_SEPARATE_COMPILATION and BOOST_BEAST_SEPARATE_COMPILATION are set for every user of
// this library), so that http_server.cc and http_client.cc do not each carry a copy.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
