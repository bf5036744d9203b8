"""The volume summary of several pods is their sum."""

from tricircle.volumes.summary import merge


def test_sizes_and_counts_add_up_and_metadata_values_join():
    merged = merge([{"total_size": 3, "total_count": 2, "metadata": {"k": ["a"]}},
                    {"total_size": 4, "total_count": 1,
                     "metadata": {"k": ["b", "a"], "tricircle_top_id": ["x"]}}])
    assert merged == {"volume-summary": {"total_size": 7, "total_count": 3,
                                         "metadata": {"k": ["a", "b"]}}}


def test_below_3_36_there_is_no_metadata():
    assert merge([{"total_size": 1, "total_count": 1}]) == {
        "volume-summary": {"total_size": 1, "total_count": 1}}


def test_limits_are_the_default_pods_and_usage_is_summed():
    from tricircle.volumes.summary import merge_limits

    first = {"limits": {"rate": [], "absolute": {"maxTotalVolumes": 10, "totalVolumesUsed": 1,
                                                 "totalGigabytesUsed": 1}}}
    other = {"limits": {"rate": [], "absolute": {"maxTotalVolumes": 10, "totalVolumesUsed": 2,
                                                 "totalGigabytesUsed": 3}}}
    assert merge_limits(first, [other]) == {"limits": {"rate": [], "absolute": {
        "maxTotalVolumes": 10, "totalVolumesUsed": 3, "totalGigabytesUsed": 4}}}
