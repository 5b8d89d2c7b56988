/* The broker URL that test_example_heap_budget gives ESP-IDF's example as its CONFIG_BROKER_URL:
 * filled in once the tests' mosquitto has its port. */
#pragma once
extern char example_broker_url[64];
