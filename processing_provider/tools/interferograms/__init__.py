"""The interferogram tools: filtering and multilooking, detection, target suitability."""
